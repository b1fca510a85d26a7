#include "atomservices/reducer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "atomservices/errors.hpp"
#include "atomservices/event.hpp"
#include "atomservices/json.hpp"

namespace atomservices {
namespace {

using json::Kind;

struct OpSpec {
  std::string_view name;
  OpKind kind;
  bool needs_operand;   // from or value
  bool numeric;         // a constant operand must be a number
};

constexpr OpSpec kOps[] = {
    {"set", OpKind::Set, true, false},       {"unset", OpKind::Unset, false, false},
    {"add", OpKind::Add, true, true},        {"subtract", OpKind::Subtract, true, true},
    {"increment", OpKind::Increment, false, true}, {"push", OpKind::Push, true, false},
    {"remove", OpKind::Remove, true, false}, {"merge", OpKind::Merge, true, false},
    {"min", OpKind::Min, true, true},        {"max", OpKind::Max, true, true},
};

[[noreturn]] void bad(const std::string& where, const std::string& problem) {
  std::string details = "{\"field\":";
  json::append_string(details, where);
  throw Error(ErrorCode::INVALID_ARGUMENT, "reducer definition: " + where + " " + problem, details + "}");
}

[[noreturn]] void overflowed(const std::vector<std::string>& path) {
  std::string dotted;
  for (const std::string& part : path) dotted += (dotted.empty() ? "" : ".") + part;
  std::string details = "{\"field\":";
  json::append_string(details, dotted);
  throw Error(ErrorCode::INVALID_ARGUMENT, "reducer: the sum at " + dotted +
                  " is beyond the largest number JSON holds (about 1.8e308); fold such values with a JS reducer",
              details + "}");
}

std::vector<std::string> split_path(const std::string& text, const std::string& where) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string part = text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) bad(where, "must be a dot path of non-empty names like \"balance\" or \"totals.eur\", got \"" + text + "\"");
    parts.push_back(part);
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

const OpSpec& spec_of(const State& op, const std::string& where) {
  auto it = op.find("op");
  if (it == op.end() || !it->is_string()) bad(where + ".op", "is required: one of set, unset, add, subtract, increment, push, remove, merge, min, max");
  for (const OpSpec& spec : kOps) {
    if (spec.name == it->get<std::string>()) return spec;
  }
  bad(where + ".op", "\"" + it->get<std::string>() + "\" is not an operation; use set, unset, add, subtract, increment, push, remove, merge, min or max");
}

Operation compile_op(const State& op, const std::string& where) {
  if (!op.is_object()) bad(where, "must be an object like { \"op\": \"set\", \"path\": \"owner\", \"from\": \"payloads.owner\" }");
  const OpSpec& spec = spec_of(op, where);
  for (const auto& [key, _] : op.items()) {
    if (key != "op" && key != "path" && key != "from" && key != "value") bad(where + "." + key, "is not a field of an operation; use op, path, from and value");
  }
  Operation out;
  out.kind = spec.kind;
  auto path = op.find("path");
  if (path == op.end() || !path->is_string()) bad(where + ".path", "is required: a dot path into the state, like \"balance\"");
  out.path = split_path(path->get<std::string>(), where + ".path");
  bool has_from = op.contains("from"), has_value = op.contains("value");
  if (has_from && has_value) bad(where, "takes either from or value, not both");
  if (spec.needs_operand && !has_from && !has_value) bad(where, "needs from (a path into the event, like \"payloads.amount\") or value (a constant)");
  if (!spec.needs_operand && spec.kind == OpKind::Unset && (has_from || has_value)) bad(where, "unset takes only a path");
  if (has_from) {
    const State& from = op["from"];
    if (!from.is_string()) bad(where + ".from", "must be a dot path into the event, like \"payloads.amount\"");
    out.from = split_path(from.get<std::string>(), where + ".from");
  }
  if (has_value) {
    out.value = op["value"];
    if (spec.numeric && !out.value.is_number()) bad(where + ".value", "must be a number for " + std::string(spec.name));
  }
  if (spec.kind == OpKind::Increment && !has_from && !has_value) out.value = 1;
  return out;
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// The object holding the last path segment, created along the way when `create`.
State* parent_of(State& state, const std::vector<std::string>& path, bool create) {
  State* node = &state;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(path[i]);
    if (it == node->end()) {
      if (!create) return nullptr;
      node = &((*node)[path[i]] = State::object());
    } else {
      node = &*it;
    }
  }
  return node->is_object() ? node : nullptr;
}

// JSON equality: objects are equal when they hold the same members in any order (the
// state keeps insertion order, so its own operator== would tell {a,b} from {b,a}).
bool same_json(const State& a, const State& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      auto other = b.find(key);
      if (other == b.end() || !same_json(value, *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_json);
  }
  return a == b;
}

double number_or(const State* value, double fallback) {
  return value && value->is_number() ? value->get<double>() : fallback;
}

void apply_op(State& state, const Operation& op, const State* operand) {
  if (op.kind != OpKind::Unset && op.kind != OpKind::Increment && !operand) return;  // missing source field
  State* parent = parent_of(state, op.path, op.kind != OpKind::Unset);
  if (!parent) return;
  const std::string& key = op.path.back();
  auto it = parent->find(key);
  State* current = it == parent->end() ? nullptr : &*it;
  switch (op.kind) {
    case OpKind::Set: (*parent)[key] = *operand; break;
    case OpKind::Unset: parent->erase(key); break;
    case OpKind::Add:
    case OpKind::Subtract:
    case OpKind::Increment: {
      if (!operand || !operand->is_number()) return;
      double delta = operand->get<double>();
      double sum = number_or(current, 0) + (op.kind == OpKind::Subtract ? -delta : delta);
      // JSON has no Infinity: written as null, the state would silently differ from a JS fold's.
      if (!std::isfinite(sum)) overflowed(op.path);
      (*parent)[key] = sum;
      break;
    }
    case OpKind::Min:
    case OpKind::Max: {
      if (!operand->is_number()) return;
      double v = operand->get<double>();
      if (!current || !current->is_number()) {
        (*parent)[key] = v;
      } else {
        double c = current->get<double>();
        (*parent)[key] = op.kind == OpKind::Min ? (v < c ? v : c) : (v > c ? v : c);
      }
      break;
    }
    case OpKind::Push:
      if (!current) (*parent)[key] = State::array();
      else if (!current->is_array()) return;
      (*parent)[key].push_back(*operand);
      break;
    case OpKind::Remove: {
      if (!current || !current->is_array()) return;
      State kept = State::array();
      for (const State& item : *current) {
        if (!same_json(item, *operand)) kept.push_back(item);
      }
      *current = std::move(kept);
      break;
    }
    case OpKind::Merge:
      if (!operand->is_object()) return;
      if (!current || !current->is_object()) {
        (*parent)[key] = *operand;
      } else {
        for (const auto& [k, v] : operand->items()) (*current)[k] = v;
      }
      break;
  }
}

bool key_is(std::string_view raw_key, std::string_view name) {
  if (raw_key.find('\\') == std::string_view::npos) return raw_key == name;
  std::string quoted = "\"" + std::string(raw_key) + "\"", decoded;
  json::Scanner s(quoted);
  return s.read_string(decoded) && decoded == name;
}

// The raw value of one member of the object `text`, if it has it.
std::optional<std::string_view> member(std::string_view text, std::string_view name) {
  json::Scanner s(text);
  if (s.peek_kind() != Kind::Object) return std::nullopt;
  std::optional<std::string_view> found;
  s.raw_members([&](std::string_view key) {
    std::string_view value = s.skip_value(Limits::kMaxDepth + 2);
    if (key_is(key, name)) found = value;
    return !found;
  });
  return found;
}

// A stored (canonical) event starts {"_id":"<36>","_createdAt":"<24>","_version":<digits>:
// its other members come after these many characters, so searches start there.
constexpr size_t kContractPrefix = 8 + 36 + 16 + 24 + 13;

// The raw payloads of a stored (canonical) event, found without walking the fields before
// them: those are names and numbers, and in JSON text a quote right after a comma cannot
// be inside a string, so the first `,"payloads":` is the event's own.
std::optional<std::string_view> payloads_of(std::string_view event) {
  static constexpr std::string_view kKey = ",\"payloads\":";
  size_t at = event.find(kKey, kContractPrefix);
  if (at == std::string_view::npos) return member(event, "payloads");
  json::Scanner s(event.substr(at + kKey.size()));
  return s.skip_value(Limits::kMaxDepth + 2);
}

// The raw JSON text at `path` inside an event. `top` remembers the event's top-level
// members already looked up, since most operations read from the same few ("payloads").
std::optional<std::string_view> find_path(std::string_view event, const std::vector<std::string>& path,
                                          std::vector<std::pair<std::string_view, std::optional<std::string_view>>>& top) {
  std::optional<std::string_view> scope;
  auto cached = std::find_if(top.begin(), top.end(), [&](const auto& entry) { return entry.first == path[0]; });
  if (cached != top.end()) {
    scope = cached->second;
  } else {
    scope = path[0] == "payloads" ? payloads_of(event) : member(event, path[0]);
    top.emplace_back(path[0], scope);
  }
  for (size_t i = 1; scope && i < path.size(); ++i) scope = member(*scope, path[i]);
  return scope;
}

// An integer token that fits 64 bits; nothing when it does not.
std::optional<int64_t> to_int64(std::string_view token) {
  bool negative = !token.empty() && token[0] == '-';
  std::string_view digits = token.substr(negative ? 1 : 0);
  if (digits.empty() || digits.size() > 18) {  // 18 digits always fit; longer ones: strtoll decides
    std::string copy(token);
    char* end = nullptr;
    errno = 0;
    long long value = std::strtoll(copy.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || end == copy.c_str()) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  int64_t value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

// A raw JSON value as state: scalars directly, containers through nlohmann's parser.
State to_state(std::string_view raw) {
  char first = raw[0];
  if (first == '"' && raw.find('\\') == std::string_view::npos) return std::string(raw.substr(1, raw.size() - 2));
  if (first == 't') return true;
  if (first == 'f') return false;
  if (first == 'n') return nullptr;
  if (first == '-' || (first >= '0' && first <= '9')) {
    if (raw.find_first_of(".eE") == std::string_view::npos) {
      if (std::optional<int64_t> integer = to_int64(raw)) return *integer;
    }
    return json::to_double(raw);
  }
  return State::parse(raw.begin(), raw.end());
}

std::string_view event_name_of(std::string_view event_json) {
  // Canonical events hold EventName as their fifth field; find it without decoding the rest.
  static constexpr std::string_view kKey = "\"EventName\":\"";
  size_t at = event_json.find(kKey, kContractPrefix);
  if (at == std::string_view::npos) return {};
  size_t start = at + kKey.size();
  size_t end = event_json.find('"', start);
  while (end != std::string_view::npos && event_json[end - 1] == '\\') end = event_json.find('"', end + 1);
  return end == std::string_view::npos ? std::string_view{} : event_json.substr(start, end - start);
}

}  // namespace

std::string_view created_at_of(std::string_view event_json) {
  // {"_id":"<36>","_createdAt":"<24>"
  constexpr size_t kAt = 8 + 36 + 16;
  return event_json.size() > kAt + 24 ? event_json.substr(kAt, 24) : std::string_view{};
}

int64_t version_of(std::string_view event_json) {
  // {"_id":"<36>","_createdAt":"<24>","_version":<digits>,
  static constexpr std::string_view kStart = "{\"_id\":\"";
  if (event_json.substr(0, kStart.size()) != kStart) return 0;
  int64_t version = 0;
  size_t i = kContractPrefix;
  for (; i < event_json.size() && i < kContractPrefix + 16 && event_json[i] >= '0' && event_json[i] <= '9'; ++i) {
    version = version * 10 + (event_json[i] - '0');
  }
  return i > kContractPrefix && i < event_json.size() && event_json[i] == ',' ? version : 0;
}

NativeReducer NativeReducer::compile(std::string_view definition_json) {
  State definition;
  try {
    definition = State::parse(definition_json.begin(), definition_json.end());
  } catch (const State::exception& e) {
    bad("", std::string("is not valid JSON: ") + e.what());
  }
  if (!definition.is_object()) bad("", "must be an object { initialState, on, snapshotEvery? }");
  for (const auto& [key, _] : definition.items()) {
    if (key != "initialState" && key != "on" && key != "snapshotEvery") bad(key, "is not part of a reducer definition; use initialState, on and snapshotEvery");
  }
  NativeReducer reducer;
  reducer.initial_ = definition.value("initialState", State::object());
  if (!reducer.initial_.is_object()) bad("initialState", "must be an object (operations address its fields by path)");
  auto every = definition.find("snapshotEvery");
  if (every != definition.end()) {
    if (!every->is_number_integer() || every->get<int64_t>() < 1) bad("snapshotEvery", "must be a positive integer (events between snapshots)");
    reducer.snapshot_every_ = every->get<int64_t>();
  }
  auto on = definition.find("on");
  if (on == definition.end() || !on->is_object()) bad("on", "is required: an object mapping EventName (or \"*\") to a list of operations");
  if (on->empty()) bad("on", "maps no EventName (or \"*\") to operations: a reducer that handles no event keeps its initial state");
  for (const auto& [name, ops] : on->items()) {
    std::string where = "on." + name;
    if (!ops.is_array()) bad(where, "must be a list of operations");
    if (name != "*") reducer.on_.emplace_back(name, std::vector<Operation>{});
    std::vector<Operation>& target = name == "*" ? reducer.any_ : reducer.on_.back().second;
    for (size_t i = 0; i < ops.size(); ++i) target.push_back(compile_op(ops[i], where + "[" + std::to_string(i) + "]"));
  }
  State meaning = {{"initialState", reducer.initial_}, {"on", *on}};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(meaning.dump())));
  reducer.identity_ = std::string("native:") + hex;
  return reducer;
}

const std::vector<Operation>* NativeReducer::operations_for(std::string_view event_name) const {
  for (const auto& [name, ops] : on_) {
    if (name == event_name) return &ops;
  }
  return nullptr;
}

void NativeReducer::apply(State& state, std::string_view event_json) const {
  const std::vector<Operation>* lists[] = {operations_for(event_name_of(event_json)), &any_};
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> top;
  for (const auto* ops : lists) {
    if (!ops) continue;
    for (const Operation& op : *ops) {
      if (op.from.empty()) {
        apply_op(state, op, &op.value);
        continue;
      }
      auto raw = find_path(event_json, op.from, top);
      if (!raw) {
        apply_op(state, op, nullptr);
        continue;
      }
      State operand = to_state(*raw);
      apply_op(state, op, &operand);
    }
  }
}

}  // namespace atomservices
