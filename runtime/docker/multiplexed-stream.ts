/**
 * Demultiplexes Docker's attach/exec stream format (Tty false): frames of an 8-byte header
 * [stream type, 0, 0, 0, payload size uint32 BE] followed by the payload. Network chunks split frames (and
 * headers) anywhere, so the parser keeps state between chunks and never concatenates payloads.
 */
export type OutputStream = "stdout" | "stderr";

export class DockerStreamDemuxer {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private current: OutputStream = "stdout";

  constructor(private readonly onFrame: (stream: OutputStream, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < 8) return;
        this.headerFill = 0;
        // 0 = stdin echoed on stdout, 1 = stdout, 2 = stderr, 3 = daemon-side error of an exec: report it as stderr.
        const type = this.header[0];
        this.current = type === 2 || type === 3 ? "stderr" : "stdout";
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.remaining -= take;
      this.onFrame(this.current, chunk.subarray(offset, offset + take));
      offset += take;
    }
  }

  /** True when the stream ended between frames (a truncated frame means the connection broke mid-write). */
  get atFrameBoundary(): boolean {
    return this.remaining === 0 && this.headerFill === 0;
  }
}
