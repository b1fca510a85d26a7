// The Emscripten web loader built from src/bindings/ (see cmake/wasm.cmake).
declare module '*/wasm/atomservices.mjs' {
  const createAtomServicesCore: () => Promise<unknown>;
  export default createAtomServicesCore;
}
