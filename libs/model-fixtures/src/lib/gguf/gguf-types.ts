/**
 * The parts of GGUF v3 (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md) that the
 * fixtures use: typed metadata values and F32/F16 tensors.
 */

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
/** llama.cpp's default; `general.alignment` always states it. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_ALIGNMENT_KEY = 'general.alignment';

/** Metadata value type codes as stored in the file. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** Tensor element types this writer emits (ggml_type codes). */
export const GgmlType = { F32: 0, F16: 1 } as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Bytes per element of each {@link GgmlType}. */
export const GGML_TYPE_BYTES: Readonly<Record<GgmlType, number>> = { [GgmlType.F32]: 4, [GgmlType.F16]: 2 };

/** A metadata value with the GGUF type it is written as. */
export type GgufValue =
  | { readonly kind: 'u32'; readonly value: number }
  | { readonly kind: 'i32'; readonly value: number }
  | { readonly kind: 'u64'; readonly value: bigint }
  | { readonly kind: 'f32'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'string[]'; readonly value: readonly string[] }
  | { readonly kind: 'i32[]'; readonly value: ArrayLike<number> }
  | { readonly kind: 'u32[]'; readonly value: ArrayLike<number> }
  | { readonly kind: 'f32[]'; readonly value: ArrayLike<number> };

export type GgufMetadataEntry = readonly [key: string, value: GgufValue];

/**
 * A tensor to write. `dims` are in ggml order: ne[0] (the innermost, contiguous dimension)
 * first, so a PyTorch `[out, in]` matrix is `[in, out]` here. `values` hold the elements in
 * storage order (row-major over the reversed dims) as numbers; they are encoded as `type`.
 */
export interface GgufTensor {
  readonly name: string;
  readonly type: GgmlType;
  readonly dims: readonly number[];
  readonly values: Float32Array;
}

export interface GgufFileContent {
  readonly metadata: readonly GgufMetadataEntry[];
  readonly tensors: readonly GgufTensor[];
  /** Tensor data alignment (default {@link GGUF_DEFAULT_ALIGNMENT}). */
  readonly alignment?: number;
}

/** Value constructors, so call sites read `gguf.u32(4096)`. */
export const gguf = {
  u32: (value: number): GgufValue => ({ kind: 'u32', value }),
  i32: (value: number): GgufValue => ({ kind: 'i32', value }),
  u64: (value: bigint): GgufValue => ({ kind: 'u64', value }),
  f32: (value: number): GgufValue => ({ kind: 'f32', value }),
  bool: (value: boolean): GgufValue => ({ kind: 'bool', value }),
  string: (value: string): GgufValue => ({ kind: 'string', value }),
  strings: (value: readonly string[]): GgufValue => ({ kind: 'string[]', value }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ kind: 'i32[]', value }),
  u32s: (value: ArrayLike<number>): GgufValue => ({ kind: 'u32[]', value }),
  f32s: (value: ArrayLike<number>): GgufValue => ({ kind: 'f32[]', value }),
};
