#include "cdc/journal/journal_format.h"

namespace deltabridge::journal_format {

void PutU32(uint32_t v, char* out) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

void PutU64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

void AppendEntryValue(int64_t write_time_us, std::string_view topic, std::string_view body,
                      std::string* out) {
  char header[kEntryHeaderSize];
  PutU64(static_cast<uint64_t>(write_time_us), header);
  PutU32(static_cast<uint32_t>(topic.size()), header + 8);
  out->append(header, sizeof(header));
  out->append(topic);
  out->append(body);
}

Status DecodeEntryTime(std::string_view value, int64_t* write_time_us) {
  if (value.size() < kEntryHeaderSize) {
    return Status::Corruption("entry value of " + std::to_string(value.size()) +
                              " bytes is shorter than its " + std::to_string(kEntryHeaderSize) +
                              "-byte header");
  }
  *write_time_us = static_cast<int64_t>(GetU64(value.data()));
  return Status::Ok();
}

Status DecodeEntryValue(std::string_view value, EntryView* out) {
  DB_RETURN_IF_ERROR(DecodeEntryTime(value, &out->write_time_us));
  uint32_t topic_size = GetU32(value.data() + 8);
  if (topic_size > value.size() - kEntryHeaderSize) {
    return Status::Corruption("entry topic length " + std::to_string(topic_size) +
                              " overruns its " + std::to_string(value.size()) + "-byte value");
  }
  out->topic = value.substr(kEntryHeaderSize, topic_size);
  out->body = value.substr(kEntryHeaderSize + topic_size);
  return Status::Ok();
}

}  // namespace deltabridge::journal_format
