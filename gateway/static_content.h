// The files the gateway serves from its own binary: /client.js and the live
// page at / (gateway/web/client.js, gateway/web/index.html). They are
// embedded at build time (cmake/embed_files.cmake writes a .cc holding
// them), so an installed gateway needs no files beside it.
//
// The views point at static storage; thread-safe.
#pragma once

#include <string_view>

namespace deltabridge {

std::string_view StaticClientJs();   // gateway/web/client.js
std::string_view StaticIndexHtml();  // gateway/web/index.html

}  // namespace deltabridge
