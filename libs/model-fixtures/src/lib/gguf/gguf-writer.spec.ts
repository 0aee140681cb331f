import { parseGguf, readTensorValues } from './gguf-reader';
import { GgmlType, gguf, GgufValueType, type GgufFileContent } from './gguf-types';
import { encodeGguf } from './gguf-writer';
import { fromHalfBits, toHalfBits } from './half';

const content: GgufFileContent = {
  metadata: [
    ['general.architecture', gguf.string('llama')],
    ['general.name', gguf.string('tiny ✓')],
    ['llama.vocab_size', gguf.u32(3)],
    ['some.i32', gguf.i32(-7)],
    ['some.u64', gguf.u64(2n ** 40n)],
    ['some.f32', gguf.f32(0.5)],
    ['some.flag', gguf.bool(true)],
    ['tokenizer.ggml.tokens', gguf.strings(['a', 'Ġb', '<|im_end|>'])],
    ['tokenizer.ggml.token_type', gguf.i32s([1, 1, 3])],
    ['some.u32s', gguf.u32s([4, 5])],
    ['some.f32s', gguf.f32s([1.5, -2])],
    ['tokenizer.ggml.merges', gguf.strings([])],
  ],
  tensors: [
    // 3 values: 12 bytes, so the next tensor's offset must be padded up to 32.
    { name: 'norm.weight', type: GgmlType.F32, dims: [3], values: Float32Array.from([1, -0.25, 3.5]) },
    { name: 'embd.weight', type: GgmlType.F16, dims: [2, 3], values: Float32Array.from([1, -2, 0.5, 4, 0, -65504]) },
  ],
};

describe('encodeGguf round-trip', () => {
  const file = encodeGguf(content);
  const parsed = parseGguf(file);

  it('writes a GGUF v3 header with the tensor and key counts', () => {
    expect(file.subarray(0, 4).toString('ascii')).toBe('GGUF');
    expect(parsed.version).toBe(3);
    expect(parsed.tensors).toHaveLength(2);
    expect(parsed.metadata.size).toBe(content.metadata.length + 1); // + general.alignment
  });

  it('adds general.alignment = 32 as a u32', () => {
    expect(parsed.metadata.get('general.alignment')).toBe(32);
    expect(parsed.metadataTypes.get('general.alignment')).toBe(GgufValueType.UINT32);
  });

  it('reads every metadata value back with the type it was written as', () => {
    expect(parsed.metadata.get('general.name')).toBe('tiny ✓');
    expect(parsed.metadata.get('llama.vocab_size')).toBe(3);
    expect(parsed.metadata.get('some.i32')).toBe(-7);
    expect(parsed.metadata.get('some.u64')).toBe(2n ** 40n);
    expect(parsed.metadata.get('some.f32')).toBe(0.5);
    expect(parsed.metadata.get('some.flag')).toBe(true);
    expect(parsed.metadata.get('tokenizer.ggml.tokens')).toEqual(['a', 'Ġb', '<|im_end|>']);
    expect(parsed.metadata.get('tokenizer.ggml.token_type')).toEqual([1, 1, 3]);
    expect(parsed.metadata.get('some.u32s')).toEqual([4, 5]);
    expect(parsed.metadata.get('some.f32s')).toEqual([1.5, -2]);
    expect(parsed.metadata.get('tokenizer.ggml.merges')).toEqual([]);
    expect(parsed.metadataTypes.get('llama.vocab_size')).toBe(GgufValueType.UINT32);
    expect(parsed.metadataTypes.get('some.i32')).toBe(GgufValueType.INT32);
    expect(parsed.metadataTypes.get('some.u64')).toBe(GgufValueType.UINT64);
    expect(parsed.metadataTypes.get('some.flag')).toBe(GgufValueType.BOOL);
    expect(parsed.metadataTypes.get('tokenizer.ggml.tokens')).toBe(GgufValueType.ARRAY);
  });

  it('keeps ggml dims order and types, and aligns the data and every tensor to 32 bytes', () => {
    expect(parsed.tensors.map((t) => [t.name, t.dims, t.type])).toEqual([
      ['norm.weight', [3], GgmlType.F32],
      ['embd.weight', [2, 3], GgmlType.F16],
    ]);
    expect(parsed.dataOffset % 32).toBe(0);
    expect(parsed.tensors.map((t) => t.offset)).toEqual([0, 32]);
    expect(file.length).toBe(parsed.dataOffset + 32 + 32); // 12 bytes -> 32, 12 bytes -> 32
  });

  it('stores tensor values as F32 and F16', () => {
    expect(Array.from(readTensorValues(file, parsed, 'norm.weight'))).toEqual([1, -0.25, 3.5]);
    expect(Array.from(readTensorValues(file, parsed, 'embd.weight'))).toEqual([1, -2, 0.5, 4, 0, -65504]);
    expect(file.readUInt16LE(parsed.dataOffset + 32)).toBe(0x3c00); // 1.0 in binary16
  });
});

describe('encodeGguf refuses what llama.cpp would misread', () => {
  const tensor = content.tensors[0];

  it('a general.alignment that disagrees with the layout', () => {
    expect(() => encodeGguf({ metadata: [['general.alignment', gguf.u32(64)]], tensors: [tensor] })).toThrow(/general\.alignment/);
  });

  it('duplicate keys and tensor names', () => {
    expect(() => encodeGguf({ metadata: [['a', gguf.u32(1)], ['a', gguf.u32(2)]], tensors: [] })).toThrow(/duplicate metadata key "a"/);
    expect(() => encodeGguf({ metadata: [], tensors: [tensor, tensor] })).toThrow(/duplicate tensor name/);
  });

  it('values that do not fill the dims', () => {
    expect(() => encodeGguf({ metadata: [], tensors: [{ ...tensor, dims: [2, 2] }] })).toThrow(/need 4 values, got 3/);
  });
});

describe('binary16 conversion', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds past the largest half: infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows to zero
    [1 + 2 ** -11, 0x3c00], // a tie rounds to the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02],
    [-0, 0x8000],
  ])('%p -> 0x%s', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });

  it('round-trips every finite binary16 value', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      expect(toHalfBits(fromHalfBits(bits))).toBe(bits);
    }
  });
});
