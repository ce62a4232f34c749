/**
 * The audit line of each admitted tool call, written when the session's server answers it: `ok`, or `error` with
 * the result's code. The pipeline cannot wait for that answer (the SDK sends it on its own stream, maybe after the
 * request that carried the call ended), so the session's outgoing messages are watched for the call's id.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isErrorCode } from '../errors/index.js';
import type { HttpAuditEntry } from './hooks.js';

export class ToolCallAudit {
  /** Admitted calls not answered yet, by JSON-RPC id (as many as the engine lets run or wait at once). */
  private readonly pending = new Map<string, HttpAuditEntry>();

  constructor(private readonly audit: (entry: HttpAuditEntry) => void) {}

  /** Calls handed to the session's server (`allow` entries with their requestId). */
  admit(entries: readonly HttpAuditEntry[]): void {
    for (const entry of entries) {
      const id = entry.requestId ?? '';
      // A client reusing an id in flight: the earlier call's outcome can no longer be told apart.
      const earlier = this.pending.get(id);
      if (earlier) this.audit(earlier);
      this.pending.set(id, entry);
    }
  }

  /** Watches one message the server sends: the answer to an admitted call writes its line. */
  observe(message: JSONRPCMessage): void {
    if (!('id' in message) || 'method' in message) return;
    const key = String(message.id);
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    this.audit({ ...entry, ...outcomeOf(message) });
  }

  /** The transport refused the request that carried `ids` (HTTP `status`): they were never run. */
  refused(ids: readonly string[], status: number): void {
    for (const id of ids) {
      const entry = this.pending.get(id);
      if (!entry) continue;
      this.pending.delete(id);
      this.audit({ ...entry, decision: 'deny', status });
    }
  }

  /** Drops `ids` without a line (the caller writes their refusal). */
  forget(ids: readonly string[]): void {
    for (const id of ids) this.pending.delete(id);
  }

  /** The session ended: calls never answered keep their `allow` line (admitted, outcome unknown). */
  close(): void {
    for (const entry of this.pending.values()) this.audit(entry);
    this.pending.clear();
  }
}

/** `ok`, or `error` with the code of a tool error result or a JSON-RPC error. */
function outcomeOf(message: JSONRPCMessage): Pick<HttpAuditEntry, 'decision' | 'code'> {
  if ('error' in message) {
    const code = (message.error.data as { code?: unknown } | undefined)?.code;
    if (isErrorCode(code)) return { decision: 'error', code };
    // -32602: the SDK refused the call's params before our handler saw them.
    return { decision: 'error', code: message.error.code === -32602 ? 'INVALID_ARGUMENT' : 'INTERNAL_ERROR' };
  }
  if (!('result' in message)) return { decision: 'ok' };
  const result = message.result as { isError?: unknown; structuredContent?: { error?: { code?: unknown } } };
  if (result.isError !== true) return { decision: 'ok' };
  const code = result.structuredContent?.error?.code;
  return { decision: 'error', code: isErrorCode(code) ? code : 'INTERNAL_ERROR' };
}
