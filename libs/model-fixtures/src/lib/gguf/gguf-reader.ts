import {
  GGUF_ALIGNMENT_KEY,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgmlType,
  GgufValueType,
} from './gguf-types';
import { tensorByteLength } from './gguf-writer';
import { fromHalfBits } from './half';

/** A metadata value as read back: numbers, bigints (64-bit), booleans, strings, or arrays of them. */
export type GgufReadValue = number | bigint | boolean | string | readonly GgufReadValue[];

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: ne[0] first. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Offset from the start of the data section. */
  readonly offset: number;
}

export interface ParsedGguf {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufReadValue>;
  /** The value type code each key was stored with (arrays: ARRAY). */
  readonly metadataTypes: ReadonlyMap<string, number>;
  readonly tensors: readonly GgufTensorInfo[];
  /** Absolute file offset where tensor data starts. */
  readonly dataOffset: number;
  readonly alignment: number;
}

/**
 * Parses a whole GGUF file held in memory (the fixtures are a few MB). It reads what the
 * writer writes and checks the layout rules llama.cpp relies on; it is a test aid, not a
 * general loader (no quantized tensor types).
 */
export function parseGguf(file: Buffer): ParsedGguf {
  const reader = new Cursor(file);
  if (file.subarray(0, 4).toString('ascii') !== GGUF_MAGIC) throw new Error('not a GGUF file (bad magic)');
  reader.skip(4);
  const version = reader.u32();
  const tensorCount = Number(reader.u64());
  const kvCount = Number(reader.u64());
  const metadata = new Map<string, GgufReadValue>();
  const metadataTypes = new Map<string, number>();
  for (let i = 0; i < kvCount; i++) {
    const key = reader.string();
    const type = reader.u32();
    metadataTypes.set(key, type);
    metadata.set(key, readValue(reader, type));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = reader.string();
    const rank = reader.u32();
    const dims = Array.from({ length: rank }, () => Number(reader.u64()));
    tensors.push({ name, dims, type: reader.u32(), offset: Number(reader.u64()) });
  }
  const alignmentValue = metadata.get(GGUF_ALIGNMENT_KEY);
  const alignment = typeof alignmentValue === 'number' ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;
  const dataOffset = Math.ceil(reader.position / alignment) * alignment;
  return { version, metadata, metadataTypes, tensors, dataOffset, alignment };
}

/** The elements of an F32 or F16 tensor as numbers, in storage order. */
export function readTensorValues(file: Buffer, parsed: ParsedGguf, name: string): Float32Array {
  const info = parsed.tensors.find((t) => t.name === name);
  if (info === undefined) throw new Error(`GGUF has no tensor ${JSON.stringify(name)}`);
  if (info.type !== GgmlType.F32 && info.type !== GgmlType.F16) throw new Error(`tensor ${name}: type ${info.type} not supported`);
  const start = parsed.dataOffset + info.offset;
  const bytes = tensorByteLength({ type: info.type, dims: info.dims });
  if (start + bytes > file.length) throw new Error(`tensor ${name}: data runs past the end of the file`);
  const count = info.dims.reduce((n, d) => n * d, 1);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = info.type === GgmlType.F32 ? file.readFloatLE(start + 4 * i) : fromHalfBits(file.readUInt16LE(start + 2 * i));
  }
  return values;
}

function readValue(reader: Cursor, type: number): GgufReadValue {
  switch (type) {
    case GgufValueType.UINT8:
      return reader.take(1).readUInt8(0);
    case GgufValueType.INT8:
      return reader.take(1).readInt8(0);
    case GgufValueType.UINT16:
      return reader.take(2).readUInt16LE(0);
    case GgufValueType.INT16:
      return reader.take(2).readInt16LE(0);
    case GgufValueType.UINT32:
      return reader.u32();
    case GgufValueType.INT32:
      return reader.take(4).readInt32LE(0);
    case GgufValueType.FLOAT32:
      return reader.take(4).readFloatLE(0);
    case GgufValueType.BOOL:
      return reader.take(1).readUInt8(0) !== 0;
    case GgufValueType.STRING:
      return reader.string();
    case GgufValueType.UINT64:
      return reader.u64();
    case GgufValueType.INT64:
      return reader.take(8).readBigInt64LE(0);
    case GgufValueType.FLOAT64:
      return reader.take(8).readDoubleLE(0);
    case GgufValueType.ARRAY: {
      const elementType = reader.u32();
      const length = Number(reader.u64());
      return Array.from({ length }, () => readValue(reader, elementType));
    }
    default:
      throw new Error(`GGUF: unknown metadata value type ${type} at byte ${reader.position}`);
  }
}

class Cursor {
  position = 0;

  constructor(private readonly file: Buffer) {}

  take(bytes: number): Buffer {
    if (this.position + bytes > this.file.length) throw new Error(`GGUF truncated at byte ${this.position}`);
    const slice = this.file.subarray(this.position, this.position + bytes);
    this.position += bytes;
    return slice;
  }

  skip(bytes: number): void {
    this.take(bytes);
  }

  u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  u64(): bigint {
    return this.take(8).readBigUInt64LE(0);
  }

  string(): string {
    const length = Number(this.u64());
    return this.take(length).toString('utf8');
  }
}
