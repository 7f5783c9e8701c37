# Tests cmake/check_layers.cmake on small trees of its own:
#   cmake -DCHECK=<check_layers.cmake> -DWORK=<scratch dir> -P layer_check_test.cmake
# Fails (FATAL_ERROR) when the check passes a wrong-way include, misses a
# folder without a rule, or fails a tree that keeps its rules.
cmake_minimum_required(VERSION 3.25)

function(make_tree name)
  file(REMOVE_RECURSE "${WORK}/${name}")
  file(WRITE "${WORK}/${name}/cdc/core/status.h" "#pragma once\n#include <string>\n")
  file(WRITE "${WORK}/${name}/cdc/wire/envelope.h"
    "#pragma once\n#include \"cdc/core/status.h\"\n#include <nlohmann/json.hpp>\n")
  file(WRITE "${WORK}/${name}/sinks/sink_config.h" "#pragma once\n#include \"cdc/core/status.h\"\n")
  file(WRITE "${WORK}/${name}/sinks/sql/target.cc"
    "#include \"sinks/sql/target.h\"\n#include \"sinks/sink_config.h\"\n#include \"cdc/wire/envelope.h\"\n")
  file(WRITE "${WORK}/${name}/sinks/sql/target.h" "#pragma once\n")
  file(WRITE "${WORK}/${name}/rules.txt"
    "cdc/core:\ncdc/wire:cdc/core\nsinks:cdc/core\nsinks/sql:cdc/core,cdc/wire,sinks/sink_config.h\n")
endfunction()

function(run_check name out_result out_text)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -DROOT=${WORK}/${name} -DRULES=${WORK}/${name}/rules.txt
            -P ${CHECK}
    RESULT_VARIABLE result OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  set(${out_result} "${result}" PARENT_SCOPE)
  set(${out_text} "${stdout}${stderr}" PARENT_SCOPE)
endfunction()

# A tree that keeps its rules passes.
make_tree(good)
run_check(good result text)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "a tree that keeps its rules failed:\n${text}")
endif()

# The core including the wire (upward) fails, naming the file and the header.
make_tree(upward)
file(APPEND "${WORK}/upward/cdc/core/status.h" "#include \"cdc/wire/envelope.h\"\n")
run_check(upward result text)
if(result EQUAL 0 OR NOT text MATCHES "cdc/core/status.h: includes \"cdc/wire/envelope.h\"")
  message(FATAL_ERROR "an upward include passed or was not named:\n${text}")
endif()

# A header the rule does not name, in an allowed header's folder, fails.
make_tree(sideways)
file(WRITE "${WORK}/sideways/sinks/sink_runner.h" "#pragma once\n")
file(APPEND "${WORK}/sideways/sinks/sql/target.cc" "#include \"sinks/sink_runner.h\"\n")
run_check(sideways result text)
if(result EQUAL 0 OR NOT text MATCHES "sinks/sql/target.cc: includes \"sinks/sink_runner.h\"")
  message(FATAL_ERROR "an include of a header not in the rule passed:\n${text}")
endif()

# A folder with sources but no rule fails.
make_tree(unruled)
file(WRITE "${WORK}/unruled/cdc/extra/thing.cc" "#include \"cdc/core/status.h\"\n")
run_check(unruled result text)
if(result EQUAL 0 OR NOT text MATCHES "cdc/extra/: no layer rule")
  message(FATAL_ERROR "a folder without a rule passed:\n${text}")
endif()

message(STATUS "layer check: all cases behave")
