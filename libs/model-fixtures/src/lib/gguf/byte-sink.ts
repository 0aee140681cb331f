/** A little-endian byte writer that grows as needed (GGUF headers reach several MB). */
export class ByteSink {
  private buffer: Buffer;
  private length = 0;

  constructor(initialCapacity = 1 << 20) {
    this.buffer = Buffer.alloc(initialCapacity);
  }

  get size(): number {
    return this.length;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(value, this.length);
    this.length += 1;
  }


  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  i32(value: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
  }

  u64(value: bigint | number): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(value), this.length);
    this.length += 8;
  }

  f32(value: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(value, this.length);
    this.length += 4;
  }

  /** A GGUF string: u64 byte length, then the UTF-8 bytes (no terminator). */
  string(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.u64(bytes);
    this.reserve(bytes);
    this.buffer.write(value, this.length, 'utf8');
    this.length += bytes;
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.byteLength);
    this.buffer.set(value, this.length);
    this.length += value.byteLength;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buffer.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  /** The bytes written so far (a view, not a copy). */
  contents(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = Buffer.alloc(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
