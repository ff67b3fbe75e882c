// make bench: where an agent under test exports, inside the agent's namespace, answering over IPC.
//   argv[2]: JSON { mode: 'nats' | 'grpc' | 'http', port, natsUrl?, subject? }
//   parent -> { type: 'totals' }                child -> { type: 'totals', totals: SinkTotals }
//   parent -> { type: 'metrics', port }         child -> { type: 'metrics', text } (the agent's /metrics)
//   child -> { type: 'ready' } once listening or subscribed
// Real servers, decoded with flowcast's fast readers (columns, no object per flow), so the sink's
// own cost stays small next to the agent's on the shared cores.
import { createServer } from 'node:http';
import { connect } from '@nats-io/transport-node';

import { decodeEventColumns, startGrpcCollector } from '../src/collector/index.js';
import { readFlowBatch } from '../src/encode/avro-reader.js';
import type { FlowColumns } from '../src/model/index.js';

export interface SinkTotals {
  /** Egress UDP packets by source port. */
  packets: Record<number, number>;
  flows: number;
  /** Bytes of the messages as they arrived (request bodies, NATS payloads, gRPC messages). */
  bytes: number;
}

const { mode, port, natsUrl, subject } = JSON.parse(process.argv[2]) as { mode: string; port: number; natsUrl?: string; subject?: string };
const totals: SinkTotals = { packets: {}, flows: 0, bytes: 0 };
const UDP = 17;
const EGRESS = 1;

function count(flows: FlowColumns, bytes: number): void {
  totals.bytes += bytes;
  totals.flows += flows.length;
  for (let i = 0; i < flows.length; i++) {
    if (flows.protocol[i] !== UDP || flows.direction[i] !== EGRESS) continue;
    const source = flows.srcPort[i];
    totals.packets[source] = (totals.packets[source] ?? 0) + flows.packets[i];
  }
}

if (mode === 'nats') {
  const nc = await connect({ servers: natsUrl! });
  nc.subscribe(subject!, { callback: (_error, message) => count(decodeEventColumns(message.data, message.headers).batch.flows, message.data.length) });
  await nc.flush();
} else if (mode === 'grpc') {
  await startGrpcCollector({ port, host: '127.0.0.1', onFlows: (records, _peer, message) => count(records.flows, message.length) });
} else if (mode === 'http') {
  // CloudEvents binary mode (the agent's default): the body is the Avro FlowBatch.
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      count(readFlowBatch(body).flows, body.length);
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
} else {
  throw new Error(`unknown sink mode ${mode}`);
}

process.on('message', (message: { type: string; port?: number }) => {
  if (message.type === 'totals') process.send!({ type: 'totals', totals });
  else if (message.type === 'metrics') {
    fetch(`http://127.0.0.1:${message.port}/metrics`)
      .then((answer) => answer.text())
      .then((text) => process.send!({ type: 'metrics', text }));
  }
});
process.send!({ type: 'ready' });
