/**
 * The slice of the WebAssembly JS API the loader uses. @types/node 20 does not
 * declare it and the DOM lib would bring in browser globals we do not have.
 */
declare namespace WebAssembly {
  class Module {
    constructor (bytes: BufferSource)
  }
  class Instance {
    constructor (module: Module, imports?: Record<string, Record<string, unknown>>)
    readonly exports: Record<string, unknown>
  }
  interface MemoryDescriptor {
    initial: number
    maximum?: number
    shared?: boolean
  }
  class Memory {
    constructor (descriptor: MemoryDescriptor)
    /** A SharedArrayBuffer when the memory was created with `shared: true`. */
    readonly buffer: ArrayBuffer | SharedArrayBuffer
    grow (delta: number): number
  }
  function validate (bytes: BufferSource): boolean
  type BufferSource = ArrayBufferView | ArrayBuffer
}
