# check_layers.cmake: fails when a source file includes a header from a folder
# its layer may not use (docs/architecture.md has the picture).
#
#   cmake -DROOT=<source dir> -DRULES=<rules file> -DSTAMP=<file> -P check_layers.cmake
#
# RULES holds one line per folder, "FOLDER:ENTRY,ENTRY,...", as the folders'
# deltabridge_layer() calls wrote them: an entry is a folder whose headers the
# folder's own .h and .cc files may include, or one header (a path ending in
# .h). A folder may always include its own headers. Only includes of our own
# folders are checked (`#include "cdc/..."`, "sinks/...", "mappings/...",
# "app/...", "gateway/..."); library headers are not. Every folder under the checked roots
# that holds sources must have a rule. On success STAMP is touched.
cmake_minimum_required(VERSION 3.25)

if(NOT ROOT OR NOT RULES)
  message(FATAL_ERROR "usage: cmake -DROOT=DIR -DRULES=FILE [-DSTAMP=FILE] -P check_layers.cmake")
endif()

set(roots app cdc sinks mappings gateway)
file(STRINGS "${RULES}" rule_lines)
set(folders "")
foreach(line IN LISTS rule_lines)
  string(FIND "${line}" ":" colon)
  string(SUBSTRING "${line}" 0 ${colon} folder)
  math(EXPR rest "${colon} + 1")
  string(SUBSTRING "${line}" ${rest} -1 allowed)
  string(REPLACE "," ";" allowed "${allowed}")
  list(APPEND folders "${folder}")
  set("allowed_${folder}" "${allowed}")
endforeach()

set(problems "")
set(checked 0)
foreach(root IN LISTS roots)
  file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/${root}/*.h" "${ROOT}/${root}/*.cc")
  foreach(source IN LISTS sources)
    get_filename_component(folder "${source}" DIRECTORY)
    if(NOT folder IN_LIST folders)
      list(APPEND problems
        "${folder}/: no layer rule; add deltabridge_layer(ALLOWS ...) to ${folder}/CMakeLists.txt")
      list(APPEND folders "${folder}")  # report each folder once
      set("allowed_${folder}" "")
      set("unruled_${folder}" TRUE)
      continue()
    endif()
    if(unruled_${folder})
      continue()
    endif()
    math(EXPR checked "${checked} + 1")
    set(allowed "${allowed_${folder}}")
    file(STRINGS "${ROOT}/${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    set(line_no 0)
    foreach(include_line IN LISTS includes)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" header "${include_line}")
      string(REGEX MATCH "^(app|cdc|sinks|mappings|gateway)/" ours "${header}")
      if(NOT ours)
        continue()
      endif()
      get_filename_component(header_folder "${header}" DIRECTORY)
      if(header_folder STREQUAL folder OR header_folder IN_LIST allowed OR header IN_LIST allowed)
        continue()
      endif()
      string(REPLACE ";" ", " may "${allowed}")
      if(may STREQUAL "")
        set(may "nothing but its own headers")
      endif()
      list(APPEND problems
        "${source}: includes \"${header}\", but ${folder}/ may include only: ${may} (its CMakeLists.txt states the rule, docs/architecture.md the reasons)")
    endforeach()
  endforeach()
endforeach()

if(problems)
  list(LENGTH problems count)
  string(REPLACE ";" "\n  " text "${problems}")
  message(FATAL_ERROR "layer check: ${count} wrong-way include(s):\n  ${text}\n")
endif()
if(STAMP)
  file(TOUCH "${STAMP}")
endif()
message(STATUS "layer check: ${checked} files include only what their layer allows")
