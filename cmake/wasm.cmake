# WebAssembly build: one .wasm, two JS loaders (Node CommonJS, web ES module).
# Exceptions: native wasm exceptions, the same flag at compile and link time.
set(ATOMSERVICES_EXCEPTIONS -fwasm-exceptions)
target_compile_options(atomservices_core PUBLIC ${ATOMSERVICES_EXCEPTIONS})
# Debian's prebuilt libc++ is unoptimised: instantiate std::string and friends in our own
# (optimised) code instead of calling the library's copies.
target_compile_definitions(atomservices_core PUBLIC _LIBCPP_DISABLE_EXTERN_TEMPLATE)

# EMSCRIPTEN_BINDINGS in a static library would be dropped by the linker: keep them objects.
add_library(atomservices_bindings OBJECT src/bindings/bindings.cpp)
target_link_libraries(atomservices_bindings PUBLIC atomservices_core)

set(ATOMSERVICES_LINK_OPTIONS
  --bind ${ATOMSERVICES_EXCEPTIONS}
  -sMODULARIZE=1 -sEXPORT_NAME=createAtomServicesCore
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB
  -sINCOMING_MODULE_JS_API=wasmBinary,instantiateWasm,print,printErr
  -sDYNAMIC_EXECUTION=0
  -sFORCE_FILESYSTEM=1 -sEXPORTED_RUNTIME_METHODS=FS)

# Both loaders are named atomservices.* so that each looks for atomservices.wasm beside
# itself; they are linked into separate folders and the build checks the two .wasm files
# are byte-identical before the package ships one of them.
function(atomservices_wasm_target name folder suffix)
  add_executable(${name} $<TARGET_OBJECTS:atomservices_bindings>)
  target_link_libraries(${name} PRIVATE atomservices_core)
  target_link_options(${name} PRIVATE ${ATOMSERVICES_LINK_OPTIONS} ${ARGN})
  set_target_properties(${name} PROPERTIES OUTPUT_NAME atomservices SUFFIX ${suffix}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/${folder})
endfunction()

atomservices_wasm_target(atomservices_node node .cjs
  -sENVIRONMENT=node -sWASM_ASYNC_COMPILATION=0 -lnodefs.js
  # A library must not install process-wide handlers for exceptions and rejections.
  -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0)
atomservices_wasm_target(atomservices_web web .mjs
  -sENVIRONMENT=web,worker -sEXPORT_ES6=1)
