import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials, ServerReadableStream, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';

/**
 * An in-process stand-in for EventStoreDB's gRPC Streams API (Read and Append only), so
 * the EventStoreDB adapter can run the contract through the real client when no server
 * is around. It copies the behaviours the adapter has to cope with, which a plain
 * store would hide:
 * - positions are sparse byte offsets, and each event has its own (commit == prepare);
 * - $all holds system events (`$`-prefixed streams and types) between ours;
 * - reads of $all have no filter and include the event at `fromPosition`; subscriptions
 *   do too, and honour the event-type regex filter;
 * - a missing stream answers "stream not found"; a failed expected-revision check
 *   answers "wrong expected version". There is no ServerFeatures service, so the
 *   client falls back to the plain Append call, as it does against older servers.
 * It is a test double, not a model of the server: passing here is no substitute for
 * running the contract against a real EventStoreDB (EVENTSTORE_CONNECTION_STRING).
 */
export interface FakeEventStoreDb {
  connectionString: string;
  stop(): Promise<void>;
}

interface StoredEvent {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  position: bigint;
}

const FORWARDS = ReadReq.Options.ReadDirection.FORWARDS;

export async function startFakeEventStoreDb(): Promise<FakeEventStoreDb> {
  const log = new FakeLog();
  const server = new Server();
  server.addService(StreamsService, {
    read: (call: ServerWritableStream<ReadReq, ReadResp>) => log.read(call),
    append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => log.append(call, callback),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    stop: async () => server.forceShutdown(),
  };
}

class FakeLog {
  private readonly events: StoredEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private nextPosition = 1_234n;
  private appends = 0;

  constructor() {
    // A fresh server already has system events in $all.
    this.system('$epochs', '$epoch-information');
    this.system('$settings', '$settings');
  }

  read(call: ServerWritableStream<ReadReq, ReadResp>): void {
    const options = call.request.getOptions()!;
    const forwards = options.getReadDirection() === FORWARDS;
    const count = options.hasCount() ? Number(options.getCount()) : Number.MAX_SAFE_INTEGER;

    if (options.hasStream()) {
      const s = options.getStream()!;
      const name = decode(s.getStreamIdentifier()!.getStreamName_asU8());
      const stream = this.events.filter((e) => e.streamId === name);
      if (stream.length === 0) {
        const notFound = new ReadResp.StreamNotFound().setStreamIdentifier(identifier(name));
        call.write(new ReadResp().setStreamNotFound(notFound));
        call.end();
        return;
      }
      const last = stream[stream.length - 1].revision;
      const from = s.hasRevision() ? BigInt(s.getRevision()) : s.hasEnd() ? last : forwards ? 0n : last;
      const selected = forwards ? stream.filter((e) => e.revision >= from) : stream.filter((e) => e.revision <= from).reverse();
      for (const e of selected.slice(0, count)) call.write(toResp(e));
      call.end();
      return;
    }

    const all = options.getAll()!;
    const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? this.nextPosition : -1n;
    if (!options.hasSubscription()) {
      // $all: forwards includes the event at `from`, backwards starts before it.
      const selected = forwards ? this.events.filter((e) => e.position >= from) : this.events.filter((e) => e.position < from).reverse();
      for (const e of selected.slice(0, count)) call.write(toResp(e));
      call.end();
      return;
    }

    const filter = options.hasFilter() ? options.getFilter()! : undefined;
    const typeRegex = filter?.hasEventType() ? new RegExp(filter.getEventType()!.getRegex()) : undefined;
    call.write(new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId('fake')));
    let cursor = from - 1n;
    const pump = () => {
      for (const e of this.events) {
        if (e.position <= cursor) continue;
        cursor = e.position;
        if (!typeRegex || typeRegex.test(e.type)) call.write(toResp(e));
      }
    };
    pump();
    this.listeners.add(pump);
    call.on('cancelled', () => this.listeners.delete(pump));
    call.on('close', () => this.listeners.delete(pump));
  }

  append(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const proposed: AppendReq.ProposedMessage[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else if (req.hasProposedMessage()) proposed.push(req.getProposedMessage()!);
    });
    call.on('end', () => {
      const name = decode(options!.getStreamIdentifier()!.getStreamName_asU8());
      const stream = this.events.filter((e) => e.streamId === name);
      const current = stream.length === 0 ? -1n : stream[stream.length - 1].revision;
      const wrong =
        (options!.hasRevision() && BigInt(options!.getRevision()) !== current) ||
        (options!.hasNoStream() && current !== -1n) ||
        (options!.hasStreamExists() && current === -1n);
      if (wrong) {
        const wev = new AppendResp.WrongExpectedVersion();
        if (current === -1n) wev.setCurrentNoStream(new Empty());
        else wev.setCurrentRevision(current.toString());
        if (options!.hasRevision()) wev.setExpectedRevision(options!.getRevision());
        else if (options!.hasNoStream()) wev.setExpectedNoStream(new Empty());
        else wev.setExpectedStreamExists(new Empty());
        callback(null, new AppendResp().setWrongExpectedVersion(wev));
        return;
      }
      let revision = current;
      let last: StoredEvent | undefined;
      for (const m of proposed) {
        revision += 1n;
        last = this.write({
          streamId: name,
          revision,
          id: m.getId()!.getString(),
          type: m.getMetadataMap().get('type')!,
          contentType: m.getMetadataMap().get('content-type')!,
          data: m.getData_asU8(),
          metadata: m.getCustomMetadata_asU8(),
        });
      }
      // Every other append is followed by system traffic (a link in a category stream).
      if (++this.appends % 2 === 0) this.system(`$ce-${name.split('-')[0]}`, '$>');
      const success = new AppendResp.Success().setCurrentRevision(revision.toString());
      success.setPosition(new AppendResp.Position().setCommitPosition(last!.position.toString()).setPreparePosition(last!.position.toString()));
      callback(null, new AppendResp().setSuccess(success));
      for (const notify of this.listeners) notify();
    });
  }

  private system(streamId: string, type: string): void {
    const revision = BigInt(this.events.filter((e) => e.streamId === streamId).length);
    this.write({ streamId, revision, id: randomUUID(), type, contentType: 'application/json', data: encode('{}'), metadata: new Uint8Array() });
  }

  private write(event: Omit<StoredEvent, 'position'>): StoredEvent {
    const stored = { ...event, position: this.nextPosition };
    // Positions are byte offsets in the log: sparse, growing with the record's size.
    this.nextPosition += 97n + BigInt(event.data.length + event.metadata.length);
    this.events.push(stored);
    return stored;
  }
}

function toResp(e: StoredEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(e.id))
    .setStreamIdentifier(identifier(e.streamId))
    .setStreamRevision(e.revision.toString())
    .setCommitPosition(e.position.toString())
    .setPreparePosition(e.position.toString())
    .setData(e.data)
    .setCustomMetadata(e.metadata);
  recorded.getMetadataMap().set('type', e.type).set('content-type', e.contentType).set('created', '638000000000000000');
  return new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(e.position.toString()));
}

function identifier(name: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(encode(name));
}

function encode(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}
