/**
 * Finds the end-of-command marker in one output stream of the shell channel and splits the command's output
 * from it. The marker starts with a per-command random nonce the command never sees, so output that merely
 * looks like a marker cannot end a command early.
 *
 * Linear in the output size: each chunk is searched together with only the last (marker length - 1) bytes
 * before it, and the chunks are concatenated once, at the end.
 */
export interface MarkerScanResult {
  output: Buffer;
  /** The fixed-width text right after the marker prefix (exit code and flags). */
  trailer: string;
  /** Bytes dropped because the output exceeded the cap. */
  droppedBytes: number;
}

export class EndMarkerScanner {
  private readonly chunks: Buffer[] = [];
  private stored = 0;
  private total = 0;
  private dropped = 0;
  private tail: Buffer = Buffer.alloc(0);
  private markerAt = -1;
  private result: MarkerScanResult | undefined;
  /** Streaming: bytes pushed but not yet handed out by {@link takeReleasable}, and how many were handed out. */
  private unreleased: Buffer = Buffer.alloc(0);
  private released = 0;

  constructor(
    private readonly prefix: Buffer,
    private readonly trailerLength: number,
    /** Output kept in memory at most; the rest is counted and dropped. */
    private readonly maxOutputBytes = 64 * 1024 * 1024,
  ) {}

  /** Feeds a chunk; returns true once the marker and its trailer are complete. */
  push(chunk: Buffer): boolean {
    if (this.result) return true;
    const before = this.total;
    this.total += chunk.length;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    if (this.markerAt < 0) {
      const index = window.indexOf(this.prefix);
      if (index >= 0) this.markerAt = before - this.tail.length + index;
    }
    const keep = this.prefix.length + this.trailerLength;
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - keep)));
    this.store(chunk);
    if (this.markerAt >= 0 && this.total >= this.markerAt + this.prefix.length + this.trailerLength) {
      this.result = this.finish();
      return true;
    }
    return false;
  }

  /**
   * For streaming: the output bytes that are certainly the command's (not the start of the marker), each byte
   * once. Holds back only a tail that could begin the marker prefix, so ordinary output ("line\n") passes at once.
   */
  takeReleasable(chunk: Buffer): Buffer {
    this.unreleased = this.unreleased.length ? Buffer.concat([this.unreleased, chunk]) : chunk;
    const pushed = this.released + this.unreleased.length;
    let limit: number;
    if (this.markerAt >= 0) limit = Math.min(this.markerAt, pushed);
    else limit = pushed - this.possibleMarkerStart(this.unreleased);
    const count = Math.max(0, limit - this.released);
    const out = this.unreleased.subarray(0, count);
    this.unreleased = this.unreleased.subarray(count);
    this.released += count;
    if (this.markerAt >= 0) this.unreleased = Buffer.alloc(0);
    return out;
  }

  /** Length of the longest tail of `bytes` that is a proper prefix of the marker prefix. */
  private possibleMarkerStart(bytes: Buffer): number {
    for (let k = Math.min(this.prefix.length - 1, bytes.length); k > 0; k--) {
      if (bytes.subarray(bytes.length - k).equals(this.prefix.subarray(0, k))) return k;
    }
    return 0;
  }

  get done(): MarkerScanResult | undefined {
    return this.result;
  }

  /** What arrived so far (for a command that never finished). */
  partial(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private store(chunk: Buffer): void {
    // Keep enough beyond the cap to still cut out the marker and its trailer.
    const room = this.maxOutputBytes + this.prefix.length + this.trailerLength - this.stored;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.stored += kept.length;
    this.dropped += chunk.length - kept.length;
  }

  private finish(): MarkerScanResult {
    const all = Buffer.concat(this.chunks);
    if (this.dropped === 0) {
      const trailerStart = this.markerAt + this.prefix.length;
      return {
        output: all.subarray(0, this.markerAt),
        trailer: all.subarray(trailerStart, trailerStart + this.trailerLength).toString("latin1"),
        droppedBytes: 0,
      };
    }
    // Output beyond the cap was dropped: the marker is the last thing the shell wrote, so it sits in the tail.
    const index = this.tail.lastIndexOf(this.prefix);
    const trailer = this.tail.subarray(index + this.prefix.length, index + this.prefix.length + this.trailerLength).toString("latin1");
    return { output: all.subarray(0, Math.min(this.maxOutputBytes, this.markerAt)), trailer, droppedBytes: this.dropped };
  }
}
