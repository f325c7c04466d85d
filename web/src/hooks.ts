// Small hooks shared by pages: Redfish reads that refresh, and stream subscriptions.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';

type Json = Record<string, any>;

/** GETs a resource (and again every `everyMs`, and on refresh()). */
export function useResource(path: string | undefined, everyMs = 0): { data: Json | undefined; error: string | undefined; refresh: () => void } {
  const [data, setData] = useState<Json | undefined>();
  const [error, setError] = useState<string | undefined>();
  const seq = useRef(0);
  const load = useCallback(() => {
    if (!path) return;
    const mine = ++seq.current;
    api
      .get(path)
      .then((d) => {
        if (mine === seq.current) {
          setData(d);
          setError(undefined);
        }
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setError(e instanceof ApiError ? e.message : String(e));
      });
  }, [path]);
  useEffect(() => {
    load();
    if (!everyMs) return;
    const t = setInterval(load, everyMs);
    return () => clearInterval(t);
  }, [load, everyMs]);
  return { data, error, refresh: load };
}

/** Subscribes to a WebSocket stream; `onMessage` gets each parsed JSON message. */
export function useStream(path: string | undefined, onMessage: (m: Json) => void): void {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (!path) return;
    let ws: WebSocket | undefined;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      ws = api.stream(path);
      ws.onmessage = (e) => {
        if (typeof e.data === 'string') handler.current(JSON.parse(e.data) as Json);
      };
      ws.onclose = (e) => {
        if (!closed && e.code !== 4401 && e.code !== 4403) retry = setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      ws?.close();
    };
  }, [path]);
}

/** Formats a Redfish date-time for people. */
export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
