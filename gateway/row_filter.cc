#include "gateway/row_filter.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <optional>
#include <utility>

namespace deltabridge {
namespace {

constexpr size_t kMaxTextBytes = 4096;
// A comparison is one `column op literal`, `column IS [NOT] NULL` or
// `column [NOT] IN (...)`, whatever the length of its list.
constexpr int kMaxComparisons = 64;
// Nesting counts parentheses; a run of NOTs folds into one negation.
constexpr int kMaxDepth = 16;

// SQL's three-valued truth.
enum class Tri : uint8_t { kFalse, kUnknown, kTrue };

Tri Not(Tri t) {
  if (t == Tri::kTrue) return Tri::kFalse;
  if (t == Tri::kFalse) return Tri::kTrue;
  return Tri::kUnknown;
}

// An exact decimal: (negative ? -1 : 1) * 0.digits * 10^exponent. `digits`
// has neither leading nor trailing zeros; zero is empty digits, not
// negative, exponent 0. So two equal values have equal representations.
struct Decimal {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
};

// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the number of a literal, of a
// numeric string (NUMERIC, big integers) and of a double's shortest form.
// nullopt on anything else, and on an exponent beyond 9 digits.
std::optional<Decimal> ParseDecimal(std::string_view s) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0;
  Decimal d;
  bool negative = false;
  if (i < s.size() && s[i] == '-') {
    negative = true;
    ++i;
  }
  size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == int_begin) return std::nullopt;
  std::string all(s.substr(int_begin, i - int_begin));
  int64_t point = static_cast<int64_t>(all.size());
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_begin = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == frac_begin) return std::nullopt;
    all.append(s.substr(frac_begin, i - frac_begin));
  }
  int64_t exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    size_t exp_begin = i;
    while (i < s.size() && s[i] == '0') ++i;
    size_t significant = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exp_begin || i - significant > 9) return std::nullopt;
    for (size_t k = significant; k < i; ++k) exp = exp * 10 + (s[k] - '0');
    if (exp_negative) exp = -exp;
  }
  if (i != s.size()) return std::nullopt;
  size_t lead = all.find_first_not_of('0');
  if (lead == std::string::npos) return d;  // zero, also "-0.000"
  size_t trail = all.find_last_not_of('0');
  d.digits = all.substr(lead, trail + 1 - lead);
  d.exponent = point - static_cast<int64_t>(lead) + exp;
  d.negative = negative;
  return d;
}

int CompareDecimal(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int magnitude;
  if (a.digits.empty() || b.digits.empty()) {
    magnitude = a.digits.empty() ? (b.digits.empty() ? 0 : -1) : 1;
  } else if (a.exponent != b.exponent) {
    magnitude = a.exponent < b.exponent ? -1 : 1;
  } else {
    int c = a.digits.compare(b.digits);
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return a.negative ? -magnitude : magnitude;
}

// A JSON number as an exact decimal; a double by its shortest form that
// reads back as the same double (0.1 is "0.1"). nullopt for NaN and infinity.
// J: nlohmann::json or nlohmann::ordered_json.
template <typename J>
std::optional<Decimal> JsonNumberDecimal(const J& v) {
  char buf[64];
  std::to_chars_result r;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    r = std::to_chars(buf, buf + sizeof buf, v.template get<int64_t>());
  } else if (v.is_number_unsigned()) {
    r = std::to_chars(buf, buf + sizeof buf, v.template get<uint64_t>());
  } else {
    double d = v.template get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    r = std::to_chars(buf, buf + sizeof buf, d);
  }
  return ParseDecimal(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

enum class Op : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

bool OpHolds(Op op, int cmp) {
  switch (op) {
    case Op::kEq:
      return cmp == 0;
    case Op::kNe:
      return cmp != 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
  }
  return false;
}

struct Literal {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kText };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;               // kText: the text, quotes undone
  std::optional<Decimal> number;  // kNumber; kText when the text is a numeric string
  std::optional<int64_t> int64;   // a number that is an integer fitting 64 bits
};

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// How `value` (a row's) compares with `lit`: <0, 0, >0, or nullopt when
// unknown (NULL on either side, or kinds that do not compare). Booleans
// order false < true; the parser allows only = and != with them.
template <typename J>
std::optional<int> CompareValue(const J* value, const Literal& lit) {
  if (value == nullptr || value->is_null() || lit.kind == Literal::Kind::kNull) {
    return std::nullopt;
  }
  if (value->is_boolean()) {
    if (lit.kind != Literal::Kind::kBool) return std::nullopt;
    return static_cast<int>(value->template get<bool>()) - static_cast<int>(lit.boolean);
  }
  if (value->is_number()) {
    if (!lit.number) return std::nullopt;  // a boolean, or text that is not a number
    if (lit.int64 && value->is_number_integer()) {
      if (!value->is_number_unsigned()) {
        int64_t v = value->template get<int64_t>();
        return v < *lit.int64 ? -1 : (v > *lit.int64 ? 1 : 0);
      }
      uint64_t v = value->template get<uint64_t>();
      if (*lit.int64 < 0) return 1;
      uint64_t l = static_cast<uint64_t>(*lit.int64);
      return v < l ? -1 : (v > l ? 1 : 0);
    }
    std::optional<Decimal> d = JsonNumberDecimal(*value);
    if (!d) return std::nullopt;
    return CompareDecimal(*d, *lit.number);
  }
  if (value->is_string()) {
    const std::string& s = value->template get_ref<const std::string&>();
    if (lit.kind == Literal::Kind::kText) {
      int c = std::string_view(s).compare(lit.text);  // bytewise, as unsigned char
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    if (lit.kind != Literal::Kind::kNumber) return std::nullopt;
    std::optional<Decimal> d = ParseDecimal(s);
    if (!d) return std::nullopt;
    return CompareDecimal(*d, *lit.number);
  }
  return std::nullopt;  // arrays and objects do not travel as column values
}

// Text for a message: in double quotes, at most 40 bytes of it, with ",
// backslash, control and non-ASCII bytes escaped (the message must stay
// valid UTF-8 and readable whatever the filter held).
std::string Quote(std::string_view s) {
  constexpr size_t kMaxShown = 40;
  std::string out = "\"";
  size_t n = std::min(s.size(), kMaxShown);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < s.size()) out += "...";
  out += '"';
  return out;
}

// The 1-based position, in characters, of the byte at `offset`: UTF-8
// continuation bytes do not count.
size_t CharPosition(std::string_view text, size_t offset) {
  size_t position = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++position;
  }
  return position;
}

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdentPart(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsKeyword(std::string_view word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != keyword[i]) return false;
  }
  return true;
}

bool IsKeyword(std::string_view word) {
  for (std::string_view k : {"AND", "OR", "NOT", "IS", "NULL", "IN", "TRUE", "FALSE"}) {
    if (EqualsKeyword(word, k)) return true;
  }
  return false;
}

struct Token {
  enum class Kind : uint8_t {
    kWord,    // a bare identifier or a keyword
    kQuoted,  // a "double-quoted" column
    kText,    // a 'text' literal
    kNumber,
    kOp,
    kLParen,
    kRParen,
    kComma,
    kOther,  // a character that starts no token
    kEnd,
  };
  Kind kind = Kind::kEnd;
  size_t begin = 0;  // byte offsets into the text
  size_t end = 0;
  std::string value;  // kQuoted and kText: the quotes undone
  Op op = Op::kEq;
};

}  // namespace

struct RowFilter::Node {
  enum class Kind : uint8_t { kAnd, kOr, kNot, kCompare, kIsNull, kIn };
  Kind kind = Kind::kCompare;
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr (2+), kNot (1)
  std::string column;                                 // kCompare, kIsNull, kIn
  Op op = Op::kEq;                                    // kCompare
  bool negated = false;                               // IS NOT NULL, NOT IN
  std::vector<Literal> literals;                      // kCompare (1), kIn (1+)
};

namespace {

using Node = RowFilter::Node;

// Looks a column up in a row: nullptr when the row lacks it.
template <typename Lookup>
Tri Evaluate(const Node& n, const Lookup& lookup) {
  switch (n.kind) {
    case Node::Kind::kAnd: {
      Tri out = Tri::kTrue;
      for (const auto& c : n.children) {
        Tri t = Evaluate(*c, lookup);
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case Node::Kind::kOr: {
      Tri out = Tri::kFalse;
      for (const auto& c : n.children) {
        Tri t = Evaluate(*c, lookup);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case Node::Kind::kNot:
      return Not(Evaluate(*n.children.front(), lookup));
    case Node::Kind::kCompare: {
      std::optional<int> c = CompareValue(lookup(n.column), n.literals.front());
      if (!c) return Tri::kUnknown;
      return OpHolds(n.op, *c) ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Kind::kIsNull: {
      const auto* v = lookup(n.column);
      bool is_null = v == nullptr || v->is_null();
      return is_null != n.negated ? Tri::kTrue : Tri::kFalse;
    }
    case Node::Kind::kIn: {
      const auto* v = lookup(n.column);
      Tri out = Tri::kFalse;
      for (const Literal& lit : n.literals) {
        std::optional<int> c = CompareValue(v, lit);
        if (!c) {
          out = Tri::kUnknown;
        } else if (*c == 0) {
          out = Tri::kTrue;
          break;
        }
      }
      return n.negated ? Not(out) : out;
    }
  }
  return Tri::kUnknown;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  // Every token, the last one kEnd; or the error of an unterminated quote
  // or a malformed number (as "at <byte offset>: message", positioned by
  // the caller).
  Result<std::vector<Token>> Run(size_t* error_offset) {
    std::vector<Token> out;
    size_t i = 0;
    while (true) {
      while (i < text_.size() && IsSpace(text_[i])) ++i;
      Token t;
      t.begin = i;
      if (i == text_.size()) {
        t.kind = Token::Kind::kEnd;
        t.end = i;
        out.push_back(std::move(t));
        return out;
      }
      char c = text_[i];
      if (IsIdentStart(c)) {
        while (i < text_.size() && IsIdentPart(text_[i])) ++i;
        t.kind = Token::Kind::kWord;
        t.value = std::string(text_.substr(t.begin, i - t.begin));
      } else if (c == '"' || c == '\'') {
        t.kind = c == '"' ? Token::Kind::kQuoted : Token::Kind::kText;
        ++i;
        bool closed = false;
        while (i < text_.size()) {
          if (text_[i] == c) {
            if (i + 1 < text_.size() && text_[i + 1] == c) {
              t.value += c;
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          t.value += text_[i++];
        }
        if (!closed) {
          *error_offset = t.begin;
          return Status::InvalidArgument(
              c == '"' ? "expected a closing \" for the column begun here, got the end"
                       : "expected a closing ' for the text begun here, got the end");
        }
        if (t.kind == Token::Kind::kQuoted && t.value.empty()) {
          *error_offset = t.begin;
          return Status::InvalidArgument(
              "expected a column name between the double quotes, got none");
        }
      } else if (IsDigit(c) || (c == '-' && i + 1 < text_.size() && IsDigit(text_[i + 1]))) {
        // The whole run that could belong to a number, then checked whole:
        // "12.x" and "1e" are errors, not a number and a word.
        ++i;
        while (i < text_.size()) {
          char d = text_[i];
          bool sign_after_exponent =
              (d == '+' || d == '-') && (text_[i - 1] == 'e' || text_[i - 1] == 'E');
          if (!IsIdentPart(d) && d != '.' && !sign_after_exponent) break;
          ++i;
        }
        t.kind = Token::Kind::kNumber;
        t.value = std::string(text_.substr(t.begin, i - t.begin));
        if (!ParseDecimal(t.value)) {
          *error_offset = t.begin;
          return Status::InvalidArgument(
              "expected a number (digits, optionally a fraction and an exponent: -12.5e3), "
              "got " +
              Quote(t.value));
        }
      } else if (c == '(' || c == ')' || c == ',') {
        ++i;
        t.kind = c == '(' ? Token::Kind::kLParen
                          : (c == ')' ? Token::Kind::kRParen : Token::Kind::kComma);
      } else if (c == '=' || c == '<' || c == '>' || c == '!') {
        char next = i + 1 < text_.size() ? text_[i + 1] : '\0';
        t.kind = Token::Kind::kOp;
        if (c == '=') {
          t.op = Op::kEq;
          i += 1;
        } else if (c == '!' && next == '=') {
          t.op = Op::kNe;
          i += 2;
        } else if (c == '<' && next == '>') {
          t.op = Op::kNe;
          i += 2;
        } else if (c == '<' && next == '=') {
          t.op = Op::kLe;
          i += 2;
        } else if (c == '<') {
          t.op = Op::kLt;
          i += 1;
        } else if (c == '>' && next == '=') {
          t.op = Op::kGe;
          i += 2;
        } else if (c == '>') {
          t.op = Op::kGt;
          i += 1;
        } else {  // a lone '!'
          t.kind = Token::Kind::kOther;
          i += 1;
        }
      } else {
        // One character (a whole UTF-8 sequence), for the parser to name in
        // what it expected instead.
        ++i;
        while (i < text_.size() && (static_cast<unsigned char>(text_[i]) & 0xc0) == 0x80) ++i;
        t.kind = Token::Kind::kOther;
      }
      t.end = i;
      out.push_back(std::move(t));
    }
  }

 private:
  std::string_view text_;
};

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens,
         const std::function<bool(std::string_view)>& is_column,
         const std::vector<std::string>* known_columns)
      : text_(text),
        tokens_(std::move(tokens)),
        is_column_(is_column),
        known_columns_(known_columns) {}

  Result<std::shared_ptr<const Node>> ParseFilter() {
    DB_ASSIGN_OR_RETURN(auto root, ParseOr());
    if (Peek().kind != Token::Kind::kEnd) return Expected("AND, OR or the end", Peek());
    return root;
  }

  bool AtEnd() const { return Peek().kind == Token::Kind::kEnd; }
  std::vector<std::string> TakeColumns() { return std::move(columns_); }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool PeekKeyword(std::string_view keyword) const {
    return Peek().kind == Token::Kind::kWord && EqualsKeyword(Peek().value, keyword);
  }

  Status ErrorAt(size_t offset, const std::string& message) const {
    return Status::InvalidArgument("where: at " + std::to_string(CharPosition(text_, offset)) +
                                   ": " + message);
  }
  Status Expected(const std::string& what, const Token& got) const {
    std::string shown = got.kind == Token::Kind::kEnd
                            ? "the end"
                            : Quote(text_.substr(got.begin, got.end - got.begin));
    return ErrorAt(got.begin, "expected " + what + ", got " + shown);
  }

  Result<std::shared_ptr<const Node>> ParseOr() {
    return ParseChain(Node::Kind::kOr, "OR", &Parser::ParseAnd);
  }
  Result<std::shared_ptr<const Node>> ParseAnd() {
    return ParseChain(Node::Kind::kAnd, "AND", &Parser::ParseNot);
  }

  // operand (KEYWORD operand)*, as one node of every operand.
  Result<std::shared_ptr<const Node>> ParseChain(
      Node::Kind kind, std::string_view keyword,
      Result<std::shared_ptr<const Node>> (Parser::*operand)()) {
    DB_ASSIGN_OR_RETURN(auto first, (this->*operand)());
    if (!PeekKeyword(keyword)) return first;
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->children.push_back(std::move(first));
    while (PeekKeyword(keyword)) {
      Next();
      DB_ASSIGN_OR_RETURN(auto next, (this->*operand)());
      node->children.push_back(std::move(next));
    }
    return std::shared_ptr<const Node>(std::move(node));
  }

  Result<std::shared_ptr<const Node>> ParseNot() {
    bool negate = false;
    while (PeekKeyword("NOT")) {
      Next();
      negate = !negate;  // NOT NOT x is x, also when x is unknown
    }
    DB_ASSIGN_OR_RETURN(auto primary, ParsePrimary());
    if (!negate) return primary;
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kNot;
    node->children.push_back(std::move(primary));
    return std::shared_ptr<const Node>(std::move(node));
  }

  Result<std::shared_ptr<const Node>> ParsePrimary() {
    const Token& first = Peek();
    if (first.kind == Token::Kind::kLParen) {
      if (depth_ == kMaxDepth) {
        return ErrorAt(first.begin, "nested deeper than " + std::to_string(kMaxDepth) +
                                        " parentheses (the limit)");
      }
      Next();
      ++depth_;
      DB_ASSIGN_OR_RETURN(auto inner, ParseOr());
      if (Peek().kind != Token::Kind::kRParen) return Expected("AND, OR or \")\"", Peek());
      Next();
      --depth_;
      return inner;
    }
    bool is_name = first.kind == Token::Kind::kQuoted ||
                   (first.kind == Token::Kind::kWord && !IsKeyword(first.value));
    if (!is_name) return Expected("a column, \"(\" or NOT", first);
    const Token& column = Next();
    DB_RETURN_IF_ERROR(UseColumn(column));

    auto node = std::make_shared<Node>();
    node->column = column.value;
    const Token& after = Peek();
    if (after.kind == Token::Kind::kOp) {
      const Token& op = Next();
      node->kind = Node::Kind::kCompare;
      node->op = op.op;
      DB_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
      if (lit.kind == Literal::Kind::kBool && op.op != Op::kEq && op.op != Op::kNe) {
        return ErrorAt(op.begin, "expected = or != before a boolean, got " +
                                     Quote(text_.substr(op.begin, op.end - op.begin)));
      }
      node->literals.push_back(std::move(lit));
    } else if (PeekKeyword("IS")) {
      Next();
      node->kind = Node::Kind::kIsNull;
      if (PeekKeyword("NOT")) {
        Next();
        node->negated = true;
        if (!PeekKeyword("NULL")) return Expected("NULL", Peek());
      } else if (!PeekKeyword("NULL")) {
        return Expected("NULL or NOT NULL", Peek());
      }
      Next();
    } else if (PeekKeyword("IN") || PeekKeyword("NOT")) {
      if (PeekKeyword("NOT")) {
        Next();
        node->negated = true;
        if (!PeekKeyword("IN")) return Expected("IN", Peek());
      }
      Next();
      node->kind = Node::Kind::kIn;
      if (Peek().kind != Token::Kind::kLParen) return Expected("\"(\"", Peek());
      Next();
      while (true) {
        DB_ASSIGN_OR_RETURN(Literal lit, ParseLiteral());
        node->literals.push_back(std::move(lit));
        if (Peek().kind == Token::Kind::kComma) {
          Next();
          continue;
        }
        if (Peek().kind == Token::Kind::kRParen) {
          Next();
          break;
        }
        return Expected("\",\" or \")\"", Peek());
      }
    } else {
      return Expected("an operator (=, !=, <>, <, <=, >, >=, IS, IN or NOT IN)", after);
    }
    return std::shared_ptr<const Node>(std::move(node));
  }

  // Counts a comparison of `column` and checks the column's name.
  Status UseColumn(const Token& column) {
    if (++comparisons_ > kMaxComparisons) {
      return ErrorAt(column.begin,
                     "more than " + std::to_string(kMaxComparisons) + " comparisons (the limit)");
    }
    if (is_column_ && !is_column_(column.value)) {
      std::string message = "unknown column " + Quote(column.value);
      if (known_columns_ != nullptr) {
        message += " (columns: ";
        for (size_t i = 0; i < known_columns_->size(); ++i) {
          if (i > 0) message += ", ";
          message += (*known_columns_)[i];
        }
        message += ")";
      }
      return ErrorAt(column.begin, message);
    }
    for (const auto& c : columns_) {
      if (c == column.value) return Status::Ok();
    }
    columns_.push_back(column.value);
    return Status::Ok();
  }

  Result<Literal> ParseLiteral() {
    const Token& t = Peek();
    Literal lit;
    if (t.kind == Token::Kind::kText) {
      lit.kind = Literal::Kind::kText;
      lit.text = t.value;
      lit.number = ParseDecimal(lit.text);
      if (lit.number) lit.int64 = ParseInt64(lit.text);
    } else if (t.kind == Token::Kind::kNumber) {
      lit.kind = Literal::Kind::kNumber;
      lit.number = ParseDecimal(t.value);
      lit.int64 = ParseInt64(t.value);
    } else if (PeekKeyword("TRUE") || PeekKeyword("FALSE")) {
      lit.kind = Literal::Kind::kBool;
      lit.boolean = PeekKeyword("TRUE");
    } else if (PeekKeyword("NULL")) {
      lit.kind = Literal::Kind::kNull;
    } else {
      return Expected("a literal ('text', a number, TRUE, FALSE or NULL)", t);
    }
    Next();
    return lit;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const std::function<bool(std::string_view)>& is_column_;
  const std::vector<std::string>* known_columns_;  // for messages; may be null
  int comparisons_ = 0;
  int depth_ = 0;
  std::vector<std::string> columns_;
};

}  // namespace

RowFilter::RowFilter() = default;
RowFilter::~RowFilter() = default;
RowFilter::RowFilter(const RowFilter&) = default;
RowFilter& RowFilter::operator=(const RowFilter&) = default;
RowFilter::RowFilter(RowFilter&&) noexcept = default;
RowFilter& RowFilter::operator=(RowFilter&&) noexcept = default;

namespace {

// Parses `text` into `root`, `columns`; text of only spaces is the filter
// that takes every row (a `?where=` left empty).
Status ParseInto(std::string_view text, const std::function<bool(std::string_view)>& is_column,
                 const std::vector<std::string>* known_columns, std::shared_ptr<const Node>* root,
                 std::vector<std::string>* columns) {
  if (text.size() > kMaxTextBytes) {
    return Status::InvalidArgument("where: at " +
                                   std::to_string(CharPosition(text, kMaxTextBytes)) +
                                   ": expected the end (a filter is at most 4 KiB), got " +
                                   std::to_string(text.size()) + " bytes in all");
  }
  size_t error_offset = 0;
  Result<std::vector<Token>> tokens = Tokenizer(text).Run(&error_offset);
  if (!tokens.ok()) {
    return Status::InvalidArgument("where: at " + std::to_string(CharPosition(text, error_offset)) +
                                   ": " + tokens.status().message());
  }
  Parser parser(text, std::move(tokens).value(), is_column, known_columns);
  if (parser.AtEnd()) return Status::Ok();
  DB_ASSIGN_OR_RETURN(*root, parser.ParseFilter());
  *columns = parser.TakeColumns();
  return Status::Ok();
}

}  // namespace

Result<RowFilter> RowFilter::Parse(std::string_view text,
                                   const std::function<bool(std::string_view)>& is_column) {
  RowFilter f;
  DB_RETURN_IF_ERROR(ParseInto(text, is_column, nullptr, &f.root_, &f.columns_));
  f.text_ = std::string(text);
  return f;
}

Result<RowFilter> RowFilter::Parse(std::string_view text, const std::vector<std::string>& columns) {
  std::function<bool(std::string_view)> is_column = [&columns](std::string_view name) {
    for (const auto& c : columns) {
      if (c == name) return true;
    }
    return false;
  };
  RowFilter f;
  DB_RETURN_IF_ERROR(ParseInto(text, is_column, &columns, &f.root_, &f.columns_));
  f.text_ = std::string(text);
  return f;
}

RowFilter RowFilter::And(RowFilter a, RowFilter b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  auto node = std::make_shared<Node>();
  node->kind = Node::Kind::kAnd;
  node->children = {a.root_, b.root_};
  RowFilter out;
  out.root_ = std::move(node);
  out.columns_ = std::move(a.columns_);
  for (auto& c : b.columns_) {
    bool seen = false;
    for (const auto& have : out.columns_) seen = seen || have == c;
    if (!seen) out.columns_.push_back(std::move(c));
  }
  out.text_ = "(" + a.text_ + ") AND (" + b.text_ + ")";
  return out;
}

bool RowFilter::Matches(const nlohmann::json& row) const {
  if (root_ == nullptr) return true;
  auto lookup = [&row](const std::string& column) -> const nlohmann::json* {
    if (!row.is_object()) return nullptr;
    auto it = row.find(column);
    return it == row.end() ? nullptr : &*it;
  };
  return Evaluate(*root_, lookup) == Tri::kTrue;
}

bool RowFilter::Matches(const std::vector<std::pair<std::string, nlohmann::json>>& row) const {
  if (root_ == nullptr) return true;
  auto lookup = [&row](const std::string& column) -> const nlohmann::json* {
    for (const auto& [name, value] : row) {
      if (name == column) return &value;
    }
    return nullptr;
  };
  return Evaluate(*root_, lookup) == Tri::kTrue;
}

bool RowFilter::Matches(const nlohmann::ordered_json& row) const {
  if (root_ == nullptr) return true;
  // Looked up in place: the hub evaluates every filtered stream's filter on
  // every change, so no copy of the row's values.
  auto lookup = [&row](const std::string& column) -> const nlohmann::ordered_json* {
    if (!row.is_object()) return nullptr;
    auto it = row.find(column);
    return it == row.end() ? nullptr : &*it;
  };
  return Evaluate(*root_, lookup) == Tri::kTrue;
}

}  // namespace deltabridge
