#pragma once
// Error codes and the exception type every core function throws.
#include <stdexcept>
#include <string>
#include <string_view>

namespace atomservices {

enum class ErrorCode {
#define ATOMSERVICES_ERROR(name, description) name,
#include "atomservices/error_codes.def"
#undef ATOMSERVICES_ERROR
};

std::string_view error_code_name(ErrorCode code);
std::string_view error_code_description(ErrorCode code);

// An error meant for the user: a stable code, a message that says what to fix, and
// optional structured details as a JSON object text (for example expected/actual versions).
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string details_json = "{}")
      : std::runtime_error(message), code_(code), details_(std::move(details_json)) {}
  ErrorCode code() const noexcept { return code_; }
  const std::string& details() const noexcept { return details_; }

 private:
  ErrorCode code_;
  std::string details_;
};

}  // namespace atomservices
