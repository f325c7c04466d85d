// Small pieces the Settings and Maintenance pages share: error text from a
// Redfish error, and an action runner whose outcome is announced in a
// role=status (success) or role=alert (failure) message.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import './settings.css';

export type Json = Record<string, any>;

export function errText(e: unknown): string {
  return e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
}

export interface Outcome {
  ok: boolean;
  text: string;
}

/** Runs an action, keeping its outcome for <Outcome/>; `busy` while it runs. */
export function useAction(): { busy: boolean; outcome: Outcome | undefined; run: (fn: () => Promise<string | void>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const run = async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setOutcome(undefined);
    try {
      const text = await fn();
      if (text) setOutcome({ ok: true, text });
      return true;
    } catch (e) {
      setOutcome({ ok: false, text: errText(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, outcome, run, clear: () => setOutcome(undefined) };
}

export function OutcomeText({ outcome }: { outcome: Outcome | undefined }) {
  if (!outcome) return null;
  return outcome.ok ? (
    <p role="status" class="outcome">
      {outcome.text}
    </p>
  ) : (
    <p role="alert" class="outcome error">
      {outcome.text}
    </p>
  );
}
