#include "atomservices/errors.hpp"

namespace atomservices {
namespace {
struct Entry {
  std::string_view name;
  std::string_view description;
};
constexpr Entry kEntries[] = {
#define ATOMSERVICES_ERROR(name, description) {#name, description},
#include "atomservices/error_codes.def"
#undef ATOMSERVICES_ERROR
};
}  // namespace

std::string_view error_code_name(ErrorCode code) { return kEntries[static_cast<int>(code)].name; }
std::string_view error_code_description(ErrorCode code) {
  return kEntries[static_cast<int>(code)].description;
}

}  // namespace atomservices
