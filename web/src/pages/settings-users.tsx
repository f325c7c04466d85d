// Settings › Users and roles (AccountService): list accounts, add one with a
// role, change a password or role, enable or disable, unlock, delete. For
// administrators only; passwords are write-only (Redfish shows them as null).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useResource } from '../hooks';
import { OutcomeText, useAction, type Json } from './settings-common';

const SERVICE = '/redfish/v1/AccountService';
const ACCOUNTS = `${SERVICE}/Accounts`;
const ROLES = ['Administrator', 'Operator', 'ReadOnly'];

export function UsersSection() {
  const service = useResource(SERVICE);
  const accounts = useResource(`${ACCOUNTS}?$expand=.`);
  const action = useAction();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [role, setRole] = useState('ReadOnly');
  const [editing, setEditing] = useState<string | undefined>();
  const [newPassword, setNewPassword] = useState('');
  const min = (service.data?.MinPasswordLength as number | undefined) ?? 1;
  const max = (service.data?.MaxPasswordLength as number | undefined) ?? 20;
  const list = ((accounts.data?.Members as Json[] | undefined) ?? []).filter((a) => a.UserName);
  const me = api.session?.user;

  const change = (a: Json, body: Json, done: string, question?: string) => {
    if (question && !confirm(question)) return;
    void action.run(async () => {
      await api.patch(a['@odata.id'] as string, body);
      accounts.refresh();
      return done;
    });
  };

  const add = (e: Event) => {
    e.preventDefault();
    if (password !== again) {
      void action.run(async () => {
        throw new Error('The two passwords differ.');
      });
      return;
    }
    void action.run(async () => {
      await api.post(ACCOUNTS, { UserName: name, Password: password, RoleId: role, Enabled: true });
      setName('');
      setPassword('');
      setAgain('');
      accounts.refresh();
      return `User ${name} added as ${role}.`;
    });
  };

  const setPw = (e: Event, a: Json) => {
    e.preventDefault();
    void action.run(async () => {
      await api.patch(a['@odata.id'] as string, { Password: newPassword });
      setEditing(undefined);
      setNewPassword('');
      return `Password of ${a.UserName} changed.`;
    });
  };

  return (
    <section class="card wide" aria-labelledby="s-users">
      <h2 id="s-users">Users and roles</h2>
      {accounts.error && <p role="alert" class="error">{accounts.error}</p>}
      <div class="scroll">
        <table class="compact users">
          <thead>
            <tr>
              <th scope="col">User name</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => {
              const user = a.UserName as string;
              const self = user === me;
              return (
                <tr data-testid={`user-${user}`}>
                  <th scope="row">{user}</th>
                  <td>
                    <select
                      aria-label={`Role of ${user}`}
                      value={a.RoleId}
                      disabled={action.busy || self}
                      onChange={(e) => {
                        const next = e.currentTarget.value;
                        if (!confirm(`Change the role of ${user} to ${next}?`)) {
                          e.currentTarget.value = a.RoleId;
                          return;
                        }
                        change(a, { RoleId: next }, `${user} is now ${next}.`);
                      }}
                    >
                      {[...new Set([...ROLES, a.RoleId as string])].map((r) => (
                        <option value={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <span class={`pill ${a.Enabled ? 'ok' : 'off'}`}>{a.Enabled ? 'Enabled' : 'Disabled'}</span>
                    {a.Locked && <span class="pill crit">Locked</span>}
                  </td>
                  <td>
                    <div class="row-actions">
                      <button type="button" aria-expanded={editing === user} onClick={() => setEditing(editing === user ? undefined : user)}>
                        Change password<span class="sr-only"> of {user}</span>
                      </button>
                      {!self && (
                        <button
                          type="button"
                          onClick={() => change(a, { Enabled: !a.Enabled }, `${user} ${a.Enabled ? 'disabled' : 'enabled'}.`, a.Enabled ? `Disable ${user}? They can no longer sign in.` : undefined)}
                        >
                          {a.Enabled ? 'Disable' : 'Enable'}
                          <span class="sr-only"> {user}</span>
                        </button>
                      )}
                      {a.Locked && (
                        <button type="button" onClick={() => change(a, { Locked: false }, `${user} unlocked.`)}>
                          Unlock<span class="sr-only"> {user}</span>
                        </button>
                      )}
                      {!self && (
                        <button
                          type="button"
                          class="danger"
                          onClick={() => {
                            if (!confirm(`Delete the user ${user}? This cannot be undone.`)) return;
                            void action.run(async () => {
                              await api.delete(a['@odata.id'] as string);
                              accounts.refresh();
                              return `User ${user} deleted.`;
                            });
                          }}
                        >
                          Delete<span class="sr-only"> {user}</span>
                        </button>
                      )}
                    </div>
                    {editing === user && (
                      <form class="inline-form" onSubmit={(e) => setPw(e, a)}>
                        <label>
                          New password for {user}
                          <input type="password" autoComplete="new-password" required minLength={min} maxLength={max} value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} />
                        </label>
                        <button type="submit" class="primary">
                          Set password
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <OutcomeText outcome={action.outcome} />
      <form class="form" onSubmit={add} aria-labelledby="s-add-user">
        <h3 id="s-add-user">Add a user</h3>
        <div class="row">
          <label>
            New user name
            <input required maxLength={16} pattern="[A-Za-z0-9._-]+" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            New user's role
            <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
          </label>
        </div>
        <div class="row">
          <label>
            New user's password
            <input type="password" autoComplete="new-password" required minLength={min} maxLength={max} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <label>
            Repeat the password
            <input type="password" autoComplete="new-password" required minLength={min} maxLength={max} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
          </label>
        </div>
        <p class="muted">
          {min}–{max} characters. The role also sets the IPMI privilege: Administrator → ADMINISTRATOR, Operator → OPERATOR, ReadOnly → USER.
        </p>
        <div class="actions">
          <button class="primary" type="submit" disabled={action.busy}>
            Add user
          </button>
        </div>
      </form>
    </section>
  );
}
