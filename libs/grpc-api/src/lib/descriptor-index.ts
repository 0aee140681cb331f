import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

/** A descriptor the index was asked to serve and cannot (a programming error of the host). */
export class DescriptorIndexError extends Error {
  override readonly name = 'DescriptorIndexError';
}

/** Every full name a message declares: itself, fields, oneofs, extensions, nested types and enums. */
function* messageSymbols(message: DescriptorProto, scope: string): Generator<string> {
  const name = `${scope}${message.name}`;
  yield name;
  for (const field of message.field) yield `${name}.${field.name}`;
  for (const oneof of message.oneofDecl) yield `${name}.${oneof.name}`;
  for (const extension of message.extension) yield `${name}.${extension.name}`;
  for (const nested of message.nestedType) yield* messageSymbols(nested, `${name}.`);
  for (const nested of message.enumType) yield* enumSymbols(nested, `${name}.`);
}

/** An enum and its values; values are scoped as the enum's siblings (protobuf's C++ scoping rule). */
function* enumSymbols(enumType: EnumDescriptorProto, scope: string): Generator<string> {
  yield `${scope}${enumType.name}`;
  for (const value of enumType.value) yield `${scope}${value.name}`;
}

/** Every full name a file declares (without the leading dot). */
function* fileSymbols(file: FileDescriptorProto): Generator<string> {
  const scope = file.package === '' ? '' : `${file.package}.`;
  for (const message of file.messageType) yield* messageSymbols(message, scope);
  for (const enumType of file.enumType) yield* enumSymbols(enumType, scope);
  for (const extension of file.extension) yield `${scope}${extension.name}`;
  for (const service of file.service) {
    yield `${scope}${service.name}`;
    for (const method of service.method) yield `${scope}${service.name}.${method.name}`;
  }
}

/** The extension fields a file declares, at top level and nested in messages. */
function fileExtensions(file: FileDescriptorProto): FieldDescriptorProto[] {
  const nested = (message: DescriptorProto): FieldDescriptorProto[] => [...message.extension, ...message.nestedType.flatMap(nested)];
  return [...file.extension, ...file.messageType.flatMap(nested)];
}

const withoutLeadingDot = (name: string): string => (name.startsWith('.') ? name.slice(1) : name);

/**
 * What gRPC server reflection serves: the compiler's own FileDescriptorProtos
 * (one per .proto file, as `buf build` wrote them: file names, imports,
 * `proto3_optional` and map entries intact), re-encoded unchanged, never
 * rebuilt from a runtime library's view of the types.
 *
 * Only the files the listed services need are kept (the files declaring them
 * and their imports, transitively), so a port lists and describes what it
 * serves and nothing else. Answers are a file followed by all its transitive
 * imports, so a client can build its descriptor pool from one answer.
 */
export class DescriptorIndex {
  private readonly encoded = new Map<string, Uint8Array>();
  private readonly imports = new Map<string, readonly string[]>();
  /** Full symbol name -> the file declaring it. */
  private readonly symbols = new Map<string, string>();
  /** Extended message -> extension number -> the file declaring the extension. */
  private readonly extensions = new Map<string, Map<number, string>>();
  private readonly messages = new Set<string>();

  /**
   * `descriptorSets`: serialized google.protobuf.FileDescriptorSets (e.g.
   * `buf build --as-file-descriptor-set`); `services`: the fully-qualified
   * services the port serves. Throws DescriptorIndexError when a service or
   * an imported file is missing from the sets.
   */
  constructor(
    descriptorSets: readonly Uint8Array[],
    readonly services: readonly string[],
  ) {
    const all = new Map<string, FileDescriptorProto>();
    for (const set of descriptorSets) {
      for (const file of fromBinary(FileDescriptorSetSchema, set).file) all.set(file.name, file);
    }
    const declaring = new Map<string, string>();
    for (const file of all.values()) for (const symbol of fileSymbols(file)) declaring.set(symbol, file.name);
    const roots = services.map((service) => {
      const file = declaring.get(service);
      if (file === undefined) throw new DescriptorIndexError(`no descriptor declares the service ${service}`);
      return file;
    });
    for (const name of this.closure(roots, all)) this.add(all.get(name) as FileDescriptorProto);
  }

  /** The files `roots` need: themselves and their imports, transitively. */
  private closure(roots: readonly string[], all: ReadonlyMap<string, FileDescriptorProto>): Set<string> {
    const needed = new Set<string>();
    const visit = (name: string, importer: string | undefined): void => {
      if (needed.has(name)) return;
      const file = all.get(name);
      if (file === undefined) throw new DescriptorIndexError(`${importer ?? 'a service'} imports ${name}, which no descriptor set holds`);
      needed.add(name);
      for (const dependency of file.dependency) visit(dependency, name);
    };
    for (const root of roots) visit(root, undefined);
    return needed;
  }

  private add(file: FileDescriptorProto): void {
    this.encoded.set(file.name, toBinary(FileDescriptorProtoSchema, file));
    this.imports.set(file.name, file.dependency);
    for (const symbol of fileSymbols(file)) this.symbols.set(symbol, file.name);
    const scope = file.package === '' ? '' : `${file.package}.`;
    const addMessages = (message: DescriptorProto, prefix: string): void => {
      this.messages.add(`${prefix}${message.name}`);
      for (const nested of message.nestedType) addMessages(nested, `${prefix}${message.name}.`);
    };
    for (const message of file.messageType) addMessages(message, scope);
    for (const extension of fileExtensions(file)) {
      const extendee = withoutLeadingDot(extension.extendee);
      const numbers = this.extensions.get(extendee) ?? new Map<number, string>();
      numbers.set(extension.number, file.name);
      this.extensions.set(extendee, numbers);
    }
  }

  /** Names of the files served, in no particular order. */
  fileNames(): string[] {
    return [...this.encoded.keys()];
  }

  /** The file (serialized FileDescriptorProto) then its transitive imports; undefined when not served. */
  fileByName(name: string): Uint8Array[] | undefined {
    if (!this.encoded.has(name)) return undefined;
    const order: string[] = [];
    const visit = (file: string): void => {
      if (order.includes(file)) return;
      order.push(file);
      for (const dependency of this.imports.get(file) ?? []) visit(dependency);
    };
    visit(name);
    return order.map((file) => this.encoded.get(file) as Uint8Array);
  }

  /** As fileByName, for the file declaring a fully-qualified symbol (message, field, enum, value, service, method...). */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.symbols.get(withoutLeadingDot(symbol));
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** As fileByName, for the file declaring extension `number` of `extendee`. */
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined {
    const file = this.extensions.get(withoutLeadingDot(extendee))?.get(number);
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** The extension numbers declared for a served message (sorted); undefined for an unknown message. */
  extensionNumbersOf(messageName: string): number[] | undefined {
    const name = withoutLeadingDot(messageName);
    if (!this.messages.has(name)) return undefined;
    return [...(this.extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }
}
