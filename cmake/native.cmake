# Native build: the core as a static library, tested with Catch2 under CTest.
option(ATOMSERVICES_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(ATOMSERVICES_SANITIZE)
  set(ATOMSERVICES_SANITIZERS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # The core library is defined before this file is included: instrument it explicitly.
  target_compile_options(atomservices_core PUBLIC ${ATOMSERVICES_SANITIZERS})
  target_link_options(atomservices_core PUBLIC -fsanitize=address,undefined)
endif()

find_package(Catch2 2 REQUIRED)
include(CTest)
include(Catch)

file(GLOB ATOMSERVICES_CPP_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cpp/*.cpp)
add_executable(atomservices_tests ${ATOMSERVICES_CPP_TESTS})
target_link_libraries(atomservices_tests PRIVATE atomservices_core Catch2::Catch2WithMain)
catch_discover_tests(atomservices_tests)
