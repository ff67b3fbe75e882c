// EXPORT=http: each batch POSTed as a CloudEvent (HTTP binding, binary or structured mode) to
// HTTP_TARGET_URL / K_SINK, as Knative sources do. Anything but a 2xx reply fails the batch, which
// the export queue retries with backoff (the SDK's own httpTransport treats every reply as success).
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

import type { AnyFlowBatch } from '../aggregate/index.js';
import type { EventEncoder } from '../encode/cloudevent.js';
import type { Exporter } from './queue.js';

const REQUEST_TIMEOUT_MS = 10_000;

export class HttpExporter implements Exporter {
  readonly name = 'http';
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    url: string,
    private readonly encode: EventEncoder,
    caCerts?: string,
  ) {
    this.url = new URL(url);
    this.agent = this.url.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, ca: caCerts ? [...rootCertificates, caCerts] : undefined })
      : new http.Agent({ keepAlive: true });
  }

  send(batch: AnyFlowBatch): Promise<void> {
    const message = this.encode(batch);
    const transport = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(this.url, {
        method: 'POST',
        agent: this.agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { ...message.headers, 'content-length': message.body.length },
      }, (response) => {
        response.resume(); // the reply's body is not needed
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`${this.url.origin} answered ${status} ${response.statusMessage ?? ''} to event ${message.id}`));
        });
      });
      request.on('timeout', () => request.destroy(new Error(`${this.url.origin} did not answer within ${REQUEST_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(message.body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
