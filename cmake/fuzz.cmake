# libFuzzer targets (tests/fuzz/), with -DATOMSERVICES_FUZZ=ON and clang++. They link a copy
# of the core built with the same sanitizers, so atomservices_core and its tests stay as
# they are. Run them with scripts/fuzz.sh.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "ATOMSERVICES_FUZZ needs clang++ (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
endif()

set(ATOMSERVICES_FUZZ_FLAGS -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

get_target_property(ATOMSERVICES_CORE_SOURCES atomservices_core SOURCES)
get_target_property(ATOMSERVICES_CORE_INCLUDES atomservices_core INCLUDE_DIRECTORIES)
get_target_property(ATOMSERVICES_CORE_LIBRARIES atomservices_core LINK_LIBRARIES)
add_library(atomservices_fuzz_core STATIC ${ATOMSERVICES_CORE_SOURCES})
target_include_directories(atomservices_fuzz_core PUBLIC ${ATOMSERVICES_CORE_INCLUDES})
if(ATOMSERVICES_CORE_LIBRARIES)
  target_link_libraries(atomservices_fuzz_core PUBLIC ${ATOMSERVICES_CORE_LIBRARIES})
endif()
target_compile_options(atomservices_fuzz_core PUBLIC ${ATOMSERVICES_FUZZ_FLAGS} PRIVATE -fsanitize=fuzzer-no-link)
# Frames take any checksum there (src/frames.cpp), so mutated inputs reach the decoders.
target_compile_definitions(atomservices_fuzz_core PUBLIC FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
target_link_options(atomservices_fuzz_core PUBLIC -fsanitize=address,undefined)

add_custom_target(fuzz)
foreach(target fuzz_events fuzz_queries fuzz_frames fuzz_store_open fuzz_reducer fuzz_index)
  add_executable(${target} tests/fuzz/${target}.cpp)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${target} PRIVATE atomservices_fuzz_core -fsanitize=fuzzer)
  add_dependencies(fuzz ${target})
  # Every committed seed runs once under ctest: a quick regression check of past findings.
  file(GLOB seeds CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${target}/*)
  add_test(NAME ${target}_seeds COMMAND ${target} ${seeds})
endforeach()

# Writes the binary seeds of fuzz_frames, fuzz_store_open and fuzz_index (see make_seeds.cpp).
add_executable(make_seeds tests/fuzz/make_seeds.cpp)
target_link_libraries(make_seeds PRIVATE atomservices_fuzz_core)
add_dependencies(fuzz make_seeds)
