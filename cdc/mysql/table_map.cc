#include "cdc/mysql/table_map.h"

#include "cdc/mysql/byte_reader.h"

namespace deltabridge::mysql {

namespace {

// Optional metadata field types (MySQL Table_map_event::Optional_metadata_field_type).
enum OptionalMetadata : uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
};

bool BitMsbFirst(std::string_view bits, size_t i) {
  return (static_cast<uint8_t>(bits[i / 8]) & (0x80 >> (i % 8))) != 0;
}

// Reads the type metadata of one column (0, 1 or 2 bytes, by type) and
// resolves the real type and lengths.
Status ReadColumnMeta(ByteReader* r, Column* c) {
  uint64_t v = 0;
  switch (c->binlog_type) {
    case kTypeFloat:
    case kTypeDouble:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob:
    case kTypeGeometry:
    case kTypeJson:
    case kTypeVector:
    case kTypeTime2:
    case kTypeDatetime2:
    case kTypeTimestamp2:
      DB_RETURN_IF_ERROR(r->UintLe(1, &v, "column metadata"));
      c->meta = static_cast<uint16_t>(v);
      c->length = static_cast<uint32_t>(v);  // length-prefix bytes, or fsp
      break;
    case kTypeVarchar:
    case kTypeVarString:
      DB_RETURN_IF_ERROR(r->UintLe(2, &v, "column metadata"));
      c->meta = static_cast<uint16_t>(v);
      c->length = static_cast<uint32_t>(v);  // max bytes
      break;
    case kTypeBit: {
      uint8_t bits = 0, bytes = 0;
      DB_RETURN_IF_ERROR(r->U8(&bits, "column metadata"));
      DB_RETURN_IF_ERROR(r->U8(&bytes, "column metadata"));
      c->meta = static_cast<uint16_t>(bytes << 8 | bits);
      c->length = uint32_t{bytes} * 8 + bits;  // bits
      break;
    }
    case kTypeNewDecimal:
      DB_RETURN_IF_ERROR(r->U8(&c->precision, "column metadata"));
      DB_RETURN_IF_ERROR(r->U8(&c->scale, "column metadata"));
      c->meta = static_cast<uint16_t>(c->precision << 8 | c->scale);
      break;
    case kTypeString:
    case kTypeEnum:
    case kTypeSet: {
      uint8_t byte0 = 0, byte1 = 0;
      DB_RETURN_IF_ERROR(r->U8(&byte0, "column metadata"));
      DB_RETURN_IF_ERROR(r->U8(&byte1, "column metadata"));
      c->meta = static_cast<uint16_t>(byte0 << 8 | byte1);
      if (c->binlog_type == kTypeString && byte0 != 0) {
        if ((byte0 & 0x30) != 0x30) {
          // CHAR longer than 255 bytes: two length bits hide in the type byte.
          c->type = byte0 | 0x30;
          c->length = byte1 | (((byte0 & 0x30) ^ 0x30) << 4);
        } else {
          c->type = byte0;
          c->length = byte1;
        }
      } else {
        c->length = byte1;
      }
      if (c->type != kTypeString && c->type != kTypeEnum && c->type != kTypeSet) {
        return Status::Corruption("bad real type " + std::to_string(c->type) +
                                  " in the metadata of a CHAR column");
      }
      break;
    }
    default:
      break;
  }
  return Status::Ok();
}

// Applies `collation` to the columns selected by `pick`, in column order:
// DEFAULT_CHARSET form (a default, then (index, collation) exceptions).
template <typename Pick>
Status ReadDefaultCharset(ByteReader* r, std::vector<Column>* cols, Pick pick) {
  uint64_t def = 0;
  DB_RETURN_IF_ERROR(r->LenEnc(&def, "default charset"));
  std::vector<Column*> picked;
  for (Column& c : *cols) {
    if (pick(c)) picked.push_back(&c);
  }
  for (Column* c : picked) c->charset = static_cast<uint32_t>(def);
  while (!r->empty()) {
    uint64_t index = 0, coll = 0;
    DB_RETURN_IF_ERROR(r->LenEnc(&index, "charset column index"));
    DB_RETURN_IF_ERROR(r->LenEnc(&coll, "charset collation"));
    if (index >= picked.size()) return Status::Corruption("charset column index out of range");
    picked[index]->charset = static_cast<uint32_t>(coll);
  }
  return Status::Ok();
}

template <typename Pick>
Status ReadColumnCharsets(ByteReader* r, std::vector<Column>* cols, Pick pick) {
  for (Column& c : *cols) {
    if (!pick(c)) continue;
    uint64_t coll = 0;
    DB_RETURN_IF_ERROR(r->LenEnc(&coll, "column charset"));
    c.charset = static_cast<uint32_t>(coll);
  }
  return Status::Ok();
}

Status ReadLabels(ByteReader* r, std::vector<Column>* cols, uint8_t type) {
  for (Column& c : *cols) {
    if (c.type != type) continue;
    uint64_t count = 0;
    DB_RETURN_IF_ERROR(r->LenEnc(&count, "label count"));
    if (count > r->remaining()) return Status::Corruption("label count exceeds the field");
    c.labels.clear();
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view label;
      DB_RETURN_IF_ERROR(r->LenEncString(&label, "label"));
      c.labels.emplace_back(label);
    }
  }
  return Status::Ok();
}

bool IsEnumOrSet(const Column& c) { return c.type == kTypeEnum || c.type == kTypeSet; }

Status ReadOptionalField(uint8_t type, std::string_view value, TableMapEvent* t) {
  ByteReader r(value);
  std::vector<Column>& cols = t->columns;
  switch (type) {
    case kSignedness: {
      size_t n = 0;
      for (Column& c : cols) {
        if (!c.is_numeric()) continue;
        if (n / 8 >= value.size()) return Status::Corruption("SIGNEDNESS bitmap too short");
        c.is_unsigned = BitMsbFirst(value, n++);
      }
      return Status::Ok();
    }
    case kDefaultCharset:
      return ReadDefaultCharset(&r, &cols, [](const Column& c) { return c.is_character(); });
    case kColumnCharset:
      return ReadColumnCharsets(&r, &cols, [](const Column& c) { return c.is_character(); });
    case kEnumAndSetDefaultCharset:
      return ReadDefaultCharset(&r, &cols, IsEnumOrSet);
    case kEnumAndSetColumnCharset:
      return ReadColumnCharsets(&r, &cols, IsEnumOrSet);
    case kColumnName:
      for (Column& c : cols) {
        std::string_view name;
        DB_RETURN_IF_ERROR(r.LenEncString(&name, "column name"));
        c.name = std::string(name);
      }
      t->has_column_names = true;
      return Status::Ok();
    case kSetStrValue:
      return ReadLabels(&r, &cols, kTypeSet);
    case kEnumStrValue:
      return ReadLabels(&r, &cols, kTypeEnum);
    case kGeometryType:
      for (Column& c : cols) {
        if (c.type != kTypeGeometry) continue;
        uint64_t g = 0;
        DB_RETURN_IF_ERROR(r.LenEnc(&g, "geometry type"));
        c.geometry_type = static_cast<uint32_t>(g);
      }
      return Status::Ok();
    case kSimplePrimaryKey:
    case kPrimaryKeyWithPrefix:
      t->primary_key.clear();
      while (!r.empty()) {
        uint64_t index = 0;
        DB_RETURN_IF_ERROR(r.LenEnc(&index, "primary key column"));
        if (index >= cols.size()) return Status::Corruption("primary key column out of range");
        t->primary_key.push_back(static_cast<uint32_t>(index));
        if (type == kPrimaryKeyWithPrefix) {
          uint64_t prefix = 0;
          DB_RETURN_IF_ERROR(r.LenEnc(&prefix, "primary key prefix"));
        }
      }
      return Status::Ok();
    case kColumnVisibility:
      if (value.size() * 8 < cols.size()) return Status::Corruption("visibility bitmap too short");
      for (size_t i = 0; i < cols.size(); ++i) cols[i].visible = BitMsbFirst(value, i);
      return Status::Ok();
    default:
      return Status::Ok();  // a field of a newer server: skipped by its length
  }
}

}  // namespace

bool Column::is_numeric() const {
  switch (type) {
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong:
    case kTypeFloat:
    case kTypeDouble:
    case kTypeNewDecimal:
      return true;
    default:
      return false;
  }
}

bool Column::is_character() const {
  switch (type) {
    case kTypeString:
    case kTypeVarString:
    case kTypeVarchar:
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob:
      return true;
    default:
      return false;
  }
}

std::string TableMapEvent::ColumnName(size_t index) const {
  if (index < columns.size() && !columns[index].name.empty()) return columns[index].name;
  return "@" + std::to_string(index + 1);
}

Status ParseTableMapBody(std::string_view body, size_t table_id_size, TableMapEvent* out) {
  ByteReader r(body);
  *out = TableMapEvent{};
  DB_RETURN_IF_ERROR(r.UintLe(table_id_size, &out->table_id, "table id"));
  DB_RETURN_IF_ERROR(r.U16(&out->flags, "table map flags"));
  uint8_t len = 0;
  std::string_view name;
  DB_RETURN_IF_ERROR(r.U8(&len, "database name length"));
  DB_RETURN_IF_ERROR(r.Bytes(len, &name, "database name"));
  out->database = std::string(name);
  DB_RETURN_IF_ERROR(r.Skip(1, "database name terminator"));
  DB_RETURN_IF_ERROR(r.U8(&len, "table name length"));
  DB_RETURN_IF_ERROR(r.Bytes(len, &name, "table name"));
  out->table = std::string(name);
  DB_RETURN_IF_ERROR(r.Skip(1, "table name terminator"));

  size_t count = 0;
  DB_RETURN_IF_ERROR(r.LenEncSize(&count, "column count"));
  std::string_view types;
  DB_RETURN_IF_ERROR(r.Bytes(count, &types, "column types"));
  out->columns.resize(count);
  for (size_t i = 0; i < count; ++i) {
    out->columns[i].binlog_type = static_cast<uint8_t>(types[i]);
    out->columns[i].type = out->columns[i].binlog_type;
  }

  std::string_view meta_block;
  DB_RETURN_IF_ERROR(r.LenEncString(&meta_block, "column metadata block"));
  ByteReader meta(meta_block);
  for (Column& c : out->columns) DB_RETURN_IF_ERROR(ReadColumnMeta(&meta, &c));
  if (!meta.empty()) return Status::Corruption("column metadata block longer than its columns");

  std::string_view nulls;
  DB_RETURN_IF_ERROR(r.Bytes((count + 7) / 8, &nulls, "null bitmap"));
  for (size_t i = 0; i < count; ++i) {
    out->columns[i].nullable = (static_cast<uint8_t>(nulls[i / 8]) >> (i % 8)) & 1;
  }

  // Optional metadata: type, length, value until the end of the body.
  while (!r.empty()) {
    uint8_t type = 0;
    std::string_view value;
    DB_RETURN_IF_ERROR(r.U8(&type, "optional metadata type"));
    DB_RETURN_IF_ERROR(r.LenEncString(&value, "optional metadata field"));
    Status s = ReadOptionalField(type, value, out);
    if (!s.ok()) {
      return s.WithContext("table map of " + out->QualifiedName() + ", optional metadata field " +
                           std::to_string(type));
    }
    out->has_optional_metadata = true;
  }
  return Status::Ok();
}

}  // namespace deltabridge::mysql
