// The bytes from SND.UNA on, as the application wrote them: what has not
// been acknowledged yet, sent or not. Chunks are kept as written (copied
// once) and read back as views where a segment does not span two of them.

export class SendQueue {
  private chunks: Uint8Array[] = [];
  private headOffset = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(Uint8Array.from(data));
    this.total += data.length;
  }

  /** Drops `count` bytes from the front (they were acknowledged). */
  drop(count: number): void {
    let left = Math.min(count, this.total);
    this.total -= left;
    while (left > 0) {
      const first = this.chunks[0];
      const available = first.length - this.headOffset;
      if (left < available) {
        this.headOffset += left;
        return;
      }
      left -= available;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** `length` bytes starting `offset` bytes after the front. */
  read(offset: number, length: number): Uint8Array {
    let skip = this.headOffset + offset;
    let i = 0;
    while (i < this.chunks.length && skip >= this.chunks[i].length) skip -= this.chunks[i++].length;
    const first = this.chunks[i];
    if (first && skip + length <= first.length) return first.subarray(skip, skip + length);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length && i < this.chunks.length) {
      const piece = this.chunks[i++].subarray(skip, skip + (length - filled));
      out.set(piece, filled);
      filled += piece.length;
      skip = 0;
    }
    return out;
  }
}
