// EXPORT=ipfix+udp | ipfix+tcp: NetObserv's IPFIX export (src/encode/ipfix.ts) to TARGET_HOST:TARGET_PORT.
// UDP: messages kept under a datagram size that crosses a 1500-byte MTU; the templates go first
// and again with the first message once a second has passed (NetObserv refreshes every second).
// The socket is connected, so an ICMP port unreachable (nothing listening) fails a later send: the
// batch is retried whole, templates first. What went out before the collector went away is lost.
// TCP: messages up to RFC 7011's 65535 bytes; each connection is a new transport session, so it
// starts with the templates and sequence number 0; a failed write drops the connection, fails the
// batch (the export queue retries it) and the next send reconnects.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';

import { IpfixWriter, MAX_MESSAGE_BYTES, byTemplate } from '../encode/ipfix.js';
import type { FlowBatch } from '../model/index.js';
import type { Exporter } from './queue.js';

export type IpfixTransportKind = 'udp' | 'tcp';

/** An IPv4 UDP datagram of this size (plus 28 bytes of headers), or IPv6 (plus 48), fits a 1500 MTU. */
export const UDP_MESSAGE_BYTES = 1400;
const TEMPLATE_REFRESH_MS = 1000;
const WRITE_DEADLINE_MS = 10_000;

export interface IpfixExporterOptions {
  host: string;
  port: number;
  transport: IpfixTransportKind;
  /** Largest message; defaults: UDP_MESSAGE_BYTES for UDP, 65535 for TCP. */
  maxMessageBytes?: number;
  /** UDP only: how often the templates are sent again. */
  templateRefreshMs?: number;
  /** TCP only: how long a collector may take no data before the connection is given up. */
  writeDeadlineMs?: number;
}

/** One transport session to the collector. */
interface Session {
  write(message: Buffer): Promise<void>;
  close(): void;
  /** Data records sent in this session: the next message's sequence number. */
  sequence: number;
  /** When the templates last went out in this session (epoch ms); -Infinity before. */
  templatesAt: number;
  closed: boolean;
}

async function openUdp(host: string, port: number): Promise<Session> {
  const { address, family } = await lookup(host);
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  const session: Session = {
    sequence: 0,
    templatesAt: -Infinity,
    closed: false,
    write: (message) => new Promise((resolve, reject) => socket.send(message, (error) => (error ? reject(error) : resolve()))),
    close: () => {
      if (session.closed) return;
      session.closed = true;
      socket.close();
    },
  };
  socket.on('error', () => session.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return session;
}

async function openTcp(host: string, port: number, deadlineMs: number): Promise<Session> {
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const session: Session = {
    sequence: 0,
    templatesAt: -Infinity,
    closed: false,
    // A collector that stops reading would stall the export: give up on the connection after a deadline.
    write: (message) =>
      new Promise((resolve, reject) => {
        if (session.closed) return reject(new Error('the IPFIX collector closed the connection'));
        const timer = setTimeout(() => {
          reject(new Error(`the IPFIX collector took no data for ${deadlineMs} ms`));
          session.close();
        }, deadlineMs);
        socket.write(message, (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
      }),
    close: () => {
      session.closed = true;
      socket.destroy();
    },
  };
  socket.on('error', () => session.close());
  socket.on('close', () => (session.closed = true)); // the next batch goes on a new connection
  socket.on('data', () => {}); // IPFIX over TCP is one way; read anything so it cannot fill the window
  return session;
}

export class IpfixExporter implements Exporter {
  readonly name: string;
  private readonly writer: IpfixWriter;
  private readonly refreshMs: number;
  private session: Session | undefined;

  constructor(private readonly options: IpfixExporterOptions) {
    this.name = `ipfix+${options.transport}`;
    this.writer = new IpfixWriter(options.maxMessageBytes ?? (options.transport === 'udp' ? UDP_MESSAGE_BYTES : MAX_MESSAGE_BYTES));
    this.refreshMs = options.transport === 'udp' ? (options.templateRefreshMs ?? TEMPLATE_REFRESH_MS) : Infinity;
  }

  async send(batch: FlowBatch): Promise<void> {
    const udp = this.options.transport === 'udp';
    const order = byTemplate(batch.flows);
    // IPFIX has no acknowledgements: what a failed attempt wrote may or may not have reached the
    // collector (UDP: a refused send means nothing listened, for the earlier datagrams too). A retry
    // sends the whole batch again.
    let from = 0;
    try {
      while (from < order.length) {
        if (!this.session || this.session.closed) {
          const { host, port, writeDeadlineMs = WRITE_DEADLINE_MS } = this.options;
          this.session = await (udp ? openUdp(host, port) : openTcp(host, port, writeDeadlineMs));
        }
        const session = this.session;
        const now = Date.now();
        const templates = now - session.templatesAt >= this.refreshMs;
        const message = this.writer.message(batch.flows, order, from, session.sequence, Math.floor(now / 1000), templates);
        await session.write(message.bytes);
        if (templates) session.templatesAt = now;
        session.sequence += message.records;
        from += message.records;
      }
    } catch (error) {
      // UDP keeps its socket (and sequence numbers) but sends the templates again: the collector
      // that comes back may be a new one. TCP starts a new connection.
      if (udp && this.session) this.session.templatesAt = -Infinity;
      else this.session?.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.session?.close();
    this.session = undefined;
  }
}
