// EXPORT=http: each batch POSTed as a CloudEvent (HTTP binding, binary or structured mode) to
// HTTP_TARGET_URL / K_SINK, as Knative sources do. Replies follow Knative's data-plane contract
// (failure.ts): 2xx delivered; 413 splits the batch; 400, 401, 403 and other 4xx drop it; 404, 408,
// 409, 429 and 5xx are retried (after Retry-After on 429 and 503). The SDK's own httpTransport
// would take every reply as success.
// As a SinkBinding subject (docs/deploy.md): the OIDC token Knative mounts (/oidc/token, rotated
// hourly) goes with each request as Authorization: Bearer, and the trust bundles it mounts
// (/knative-custom-certs) are trusted besides K_CA_CERTS and the system's roots.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

import { VERSION } from '../config/command-line.js';

import type { EventEncoder, EventMessage } from '../encode/cloudevent.js';
import { splitBatch, type AnyFlowBatch } from '../model/index.js';
import { ExportError, httpFailureKind, parseRetryAfter } from './failure.js';
import type { Exporter } from './queue.js';

const REQUEST_TIMEOUT_MS = 10_000;
const USER_AGENT = `flowcast-agent/${VERSION}`;

export interface HttpExportOptions {
  /** PEM certificates trusted besides the system's roots (K_CA_CERTS). */
  caCerts?: string;
  /** A directory whose *.pem and *.crt files are trusted too (K_CA_CERTS_DIR); skipped when missing. */
  caCertsDir?: string;
  /** A file holding the bearer token, read for every request (K_OIDC_TOKEN_FILE); none: no header. */
  oidcTokenFile?: string;
}

/** The PEM files of `dir` (sorted, as Knative projects them); none when the directory does not exist. */
export function readCaDirectory(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the CA directory ${dir} (K_CA_CERTS_DIR): ${(error as Error).message}`, { cause: error });
  }
  return names
    .filter((name) => /\.(pem|crt)$/.test(name))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/** How a batch is split, fixed once a part of it was delivered (part ids stay with their contents). */
interface Plan {
  pieces: AnyFlowBatch[];
  delivered: Set<number>;
}

export class HttpExporter implements Exporter {
  readonly name = 'http';
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly plans = new WeakMap<AnyFlowBatch, Plan>();
  /** The smallest body the target refused as too large (413): later batches are split below it. */
  private tooLarge = Number.POSITIVE_INFINITY;
  private bytesPerFlow = 64;

  private readonly tokenFile?: string;

  /** `options`: a string is K_CA_CERTS alone. */
  constructor(
    url: string,
    private readonly encode: EventEncoder,
    options: HttpExportOptions | string = {},
  ) {
    const { caCerts, caCertsDir, oidcTokenFile } = typeof options === 'string' ? { caCerts: options } : options;
    this.url = new URL(url);
    this.tokenFile = oidcTokenFile;
    const extra = [...(caCerts ? [caCerts] : []), ...(caCertsDir ? readCaDirectory(caCertsDir) : [])];
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ca: extra.length > 0 ? [...rootCertificates, ...extra] : undefined })
        : new http.Agent({ keepAlive: true });
  }

  /**
   * Sends the parts not yet delivered, the largest first: while the target refuses sizes over a
   * limit, a refused largest part means nothing of the batch was delivered, so the batch can still
   * be split again into more parts (with new ids) before any part id is used.
   */
  async send(batch: AnyFlowBatch): Promise<void> {
    let plan = this.plans.get(batch) ?? this.plan(batch, this.partsFor(batch.flows.length));
    for (;;) {
      const pending = [...plan.pieces.keys()]
        .filter((index) => !plan.delivered.has(index))
        .map((index) => ({ index, message: this.encoded(plan.pieces[index]) }))
        .sort((x, y) => y.message.body.length - x.message.body.length);
      let resplit = false;
      for (const { index, message } of pending) {
        const { status, retryAfter } = await this.post(message);
        const kind = httpFailureKind(status);
        if (kind === undefined) {
          plan.delivered.add(index);
          continue;
        }
        const what = `${this.url.origin} answered ${status} to event ${message.id} (${message.body.length} bytes)`;
        if (kind === 'too_large') {
          this.tooLarge = Math.min(this.tooLarge, message.body.length);
          if (plan.delivered.size === 0 && plan.pieces[index].flows.length > 1) {
            plan = this.plan(batch, Math.max(plan.pieces.length * 2, this.partsFor(batch.flows.length)));
            resplit = true;
            break;
          }
          throw new ExportError(`${what}, and it cannot be split further`, 'refused', { reason: 'too_large' });
        }
        if (kind === 'refused') throw new ExportError(what, 'refused');
        throw new ExportError(what, 'retry', { retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined });
      }
      if (!resplit) return;
    }
  }

  unacknowledged(batch: AnyFlowBatch): number {
    const plan = this.plans.get(batch);
    return plan ? plan.pieces.reduce((sum, piece, index) => sum + (plan.delivered.has(index) ? 0 : piece.flows.length), 0) : batch.flows.length;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /** Parts for `flows` so that each stays under the smallest body refused so far (with 10% room). */
  private partsFor(flows: number): number {
    if (!Number.isFinite(this.tooLarge) || flows === 0) return 1;
    return Math.min(flows, Math.ceil((flows * this.bytesPerFlow) / (this.tooLarge * 0.9)));
  }

  private encoded(piece: AnyFlowBatch): EventMessage {
    const message = this.encode(piece);
    if (piece.flows.length > 0) this.bytesPerFlow = message.body.length / piece.flows.length;
    return message;
  }

  private plan(batch: AnyFlowBatch, parts: number): Plan {
    const plan = { pieces: parts > 1 ? splitBatch(batch, Math.min(parts, batch.flows.length)) : [batch], delivered: new Set<number>() };
    this.plans.set(batch, plan);
    return plan;
  }

  /** The token file's current content (it rotates), or undefined when there is no such file. */
  private async token(): Promise<string | undefined> {
    if (!this.tokenFile) return undefined;
    try {
      return (await readFile(this.tokenFile, 'utf8')).trim() || undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async post(message: EventMessage): Promise<{ status: number; retryAfter?: string }> {
    const transport = this.url.protocol === 'https:' ? https : http;
    const token = await this.token();
    const headers: http.OutgoingHttpHeaders = { ...message.headers, 'content-length': message.body.length, 'user-agent': USER_AGENT };
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const request = transport.request(this.url, { method: 'POST', agent: this.agent, timeout: REQUEST_TIMEOUT_MS, headers }, (response) => {
        response.resume(); // the reply's body is not needed
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve({ status, retryAfter: response.headers['retry-after'] });
        });
      });
      request.on('timeout', () => request.destroy(new Error(`${this.url.origin} did not answer within ${REQUEST_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(message.body);
    });
  }
}
