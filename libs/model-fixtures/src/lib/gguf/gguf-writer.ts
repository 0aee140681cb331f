import { ByteSink } from './byte-sink';
import {
  GGML_TYPE_BYTES,
  GGUF_ALIGNMENT_KEY,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  GgufValueType,
  type GgufFileContent,
  type GgufMetadataEntry,
  type GgufTensor,
  type GgufValue,
} from './gguf-types';
import { toHalfBits } from './half';

/**
 * Encodes a GGUF v3 file: header, metadata, tensor infos, then the tensor data, which
 * starts at a multiple of the alignment and places every tensor at one too (llama.cpp
 * maps the data and rejects misaligned offsets). `general.alignment` is always written
 * and must agree with `alignment` when the caller gives it.
 */
export function encodeGguf(content: GgufFileContent): Buffer {
  const alignment = content.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata = withAlignmentKey(content.metadata, alignment);
  assertUniqueNames(metadata.map(([key]) => key), 'metadata key');
  assertUniqueNames(content.tensors.map((t) => t.name), 'tensor name');
  content.tensors.forEach(assertTensorShape);

  const sink = new ByteSink(headerSizeEstimate(metadata));
  sink.bytes(Buffer.from(GGUF_MAGIC, 'ascii'));
  sink.u32(GGUF_VERSION);
  sink.u64(content.tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) writeEntry(sink, key, value);

  let offset = 0;
  for (const tensor of content.tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(tensor.type);
    sink.u64(offset);
    offset += alignUp(tensorByteLength(tensor), alignment);
  }
  sink.padTo(alignment);
  const header = sink.contents();

  const out = Buffer.alloc(header.length + offset);
  header.copy(out, 0);
  let position = header.length;
  for (const tensor of content.tensors) {
    encodeTensorData(tensor, out, position);
    position += alignUp(tensorByteLength(tensor), alignment);
  }
  return out;
}

export function tensorByteLength(tensor: Pick<GgufTensor, 'type' | 'dims'>): number {
  return tensor.dims.reduce((n, d) => n * d, 1) * GGML_TYPE_BYTES[tensor.type];
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function withAlignmentKey(metadata: readonly GgufMetadataEntry[], alignment: number): readonly GgufMetadataEntry[] {
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new Error(`GGUF alignment must be a positive multiple of 8, got ${alignment}`);
  }
  const given = metadata.find(([key]) => key === GGUF_ALIGNMENT_KEY);
  if (given === undefined) return [...metadata, [GGUF_ALIGNMENT_KEY, { kind: 'u32', value: alignment }]];
  if (given[1].kind !== 'u32' || given[1].value !== alignment) {
    throw new Error(`${GGUF_ALIGNMENT_KEY} must be the u32 ${alignment} the data is aligned to`);
  }
  return metadata;
}

function assertUniqueNames(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`GGUF: duplicate ${what} ${JSON.stringify(name)}`);
    seen.add(name);
  }
}

function assertTensorShape(tensor: GgufTensor): void {
  if (tensor.dims.length === 0 || tensor.dims.length > 4 || tensor.dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`GGUF tensor ${tensor.name}: dims must be 1 to 4 positive integers, got [${tensor.dims.join(', ')}]`);
  }
  const elements = tensor.dims.reduce((n, d) => n * d, 1);
  if (tensor.values.length !== elements) {
    throw new Error(`GGUF tensor ${tensor.name}: dims [${tensor.dims.join(', ')}] need ${elements} values, got ${tensor.values.length}`);
  }
}

function headerSizeEstimate(metadata: readonly GgufMetadataEntry[]): number {
  let bytes = 4096;
  for (const [key, value] of metadata) {
    bytes += key.length + 16;
    if (value.kind === 'string[]') for (const s of value.value) bytes += 8 + s.length * 3;
    else if (value.kind === 'string') bytes += value.value.length * 3;
    else if (value.kind.endsWith('[]')) bytes += (value.value as ArrayLike<number>).length * 4;
  }
  return bytes;
}

function writeEntry(sink: ByteSink, key: string, value: GgufValue): void {
  sink.string(key);
  switch (value.kind) {
    case 'string[]':
      writeArrayHeader(sink, GgufValueType.STRING, value.value.length);
      for (const s of value.value) sink.string(s);
      return;
    case 'i32[]':
      writeNumberArray(sink, GgufValueType.INT32, value.value, (n) => sink.i32(n));
      return;
    case 'u32[]':
      writeNumberArray(sink, GgufValueType.UINT32, value.value, (n) => sink.u32(n));
      return;
    case 'f32[]':
      writeNumberArray(sink, GgufValueType.FLOAT32, value.value, (n) => sink.f32(n));
      return;
    default:
      sink.u32(SCALAR_TYPE[value.kind]);
      writeScalar(sink, value);
  }
}

const SCALAR_TYPE = {
  u32: GgufValueType.UINT32,
  i32: GgufValueType.INT32,
  u64: GgufValueType.UINT64,
  f32: GgufValueType.FLOAT32,
  bool: GgufValueType.BOOL,
  string: GgufValueType.STRING,
} as const;

type ScalarValue = Extract<GgufValue, { kind: keyof typeof SCALAR_TYPE }>;

function writeScalar(sink: ByteSink, value: ScalarValue): void {
  switch (value.kind) {
    case 'u32':
      return sink.u32(value.value);
    case 'i32':
      return sink.i32(value.value);
    case 'u64':
      return sink.u64(value.value);
    case 'f32':
      return sink.f32(value.value);
    case 'bool':
      return sink.u8(value.value ? 1 : 0);
    case 'string':
      return sink.string(value.value);
  }
}

function writeArrayHeader(sink: ByteSink, elementType: GgufValueType, length: number): void {
  sink.u32(GgufValueType.ARRAY);
  sink.u32(elementType);
  sink.u64(length);
}

function writeNumberArray(
  sink: ByteSink,
  elementType: GgufValueType,
  values: ArrayLike<number>,
  write: (n: number) => void,
): void {
  writeArrayHeader(sink, elementType, values.length);
  for (let i = 0; i < values.length; i++) write(values[i]);
}

function encodeTensorData(tensor: GgufTensor, out: Buffer, position: number): void {
  const { values } = tensor;
  if (tensor.type === GgmlType.F32) {
    for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], position + 4 * i);
  } else {
    for (let i = 0; i < values.length; i++) out.writeUInt16LE(toHalfBits(values[i]), position + 2 * i);
  }
}
