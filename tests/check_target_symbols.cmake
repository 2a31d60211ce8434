# Fails when code compiled with one ISA target's flags can be shared with code
# compiled with other flags (lib/targets/instantiate.hpp says why that matters).
# For every externally visible symbol that a target's object defines:
#   - no other object of the library may define it: the linker would keep one
#     copy of the two, compiled with either object's flags;
#   - it must be the target's own: in its namespace inertia::detail::target_<name>,
#     or a template instantiated on the target's xsimd arch (ARCH_<name>), so
#     that nothing outside the library (a test, a user's inline function) can
#     define it either.
# DW.ref.__gxx_personality_v0 is exempt: data, a pointer to the C++
# personality routine, the same bytes in every object that throws.
#
# cmake -DNM=nm -DOBJECTS_FILE=<one object per line> -DTARGETS=<names, |-separated>
#       -DARCH_<name>=<arch type as nm -C prints it> -P check_target_symbols.cmake
foreach(variable NM OBJECTS_FILE TARGETS)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "check_target_symbols.cmake: -D${variable}= is required")
  endif()
endforeach()

string(REPLACE "|" ";" TARGETS "${TARGETS}")
file(STRINGS "${OBJECTS_FILE}" objects)
set(target_objects "")

# The external symbols an object defines, demangled, in `out` (a CMake list:
# square brackets, which CMake lists treat as quoting, become parentheses).
function(defined_symbols object out)
  execute_process(COMMAND "${NM}" -C --defined-only "${object}" OUTPUT_VARIABLE listing RESULT_VARIABLE status
                  ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${NM} ${object} failed: ${errors}")
  endif()
  string(REPLACE ";" "," listing "${listing}")
  string(REPLACE "[" "(" listing "${listing}")
  string(REPLACE "]" ")" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(symbols "")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>"; upper case (and u, a unique global) is external.
    if(line MATCHES "^[0-9a-fA-F]* ([A-Zu]) (.*)$")
      list(APPEND symbols "${CMAKE_MATCH_2}")
    endif()
  endforeach()
  set(${out} "${symbols}" PARENT_SCOPE)
endfunction()

# Which target each object is, by its name (<name>.cpp.o), and who defines what.
foreach(object IN LISTS objects)
  get_filename_component(file_name "${object}" NAME)
  set(owner "")
  foreach(target IN LISTS TARGETS)
    if(file_name MATCHES "^${target}\\.cpp\\.(o|obj)$")
      set(owner "${target}")
    endif()
  endforeach()
  set(target_of_${object} "${owner}")
  if(owner)
    list(APPEND target_objects "${object}")
  endif()
  defined_symbols("${object}" symbols)
  set(symbols_of_${object} "${symbols}")
  foreach(symbol IN LISTS symbols)
    string(MD5 key "${symbol}")
    list(APPEND defined_by_${key} "${object}")
  endforeach()
endforeach()

list(LENGTH target_objects found)
list(LENGTH TARGETS expected)
if(NOT found EQUAL expected)
  message(FATAL_ERROR "found ${found} target objects for the ${expected} targets ${TARGETS} in ${OBJECTS_FILE}")
endif()

set(problems "")
set(checked 0)
foreach(object IN LISTS target_objects)
  set(target "${target_of_${object}}")
  set(arch_type "${ARCH_${target}}")
  foreach(symbol IN LISTS symbols_of_${object})
    if(symbol STREQUAL "DW.ref.__gxx_personality_v0")
      continue()
    endif()
    math(EXPR checked "${checked} + 1")
    string(MD5 key "${symbol}")
    set(others "${defined_by_${key}}")
    list(REMOVE_ITEM others "${object}")
    if(others)
      list(JOIN others ", " others)
      string(APPEND problems "\n  ${target}: ${symbol}\n      is also defined in ${others}")
      continue()
    endif()
    string(FIND "${symbol}" "inertia::detail::target_${target}::" in_namespace)
    set(on_arch -1)
    if(arch_type)
      string(FIND "${symbol}" "${arch_type}" on_arch)
    endif()
    if(in_namespace EQUAL -1 AND on_arch EQUAL -1)
      string(APPEND problems "\n  ${target}: ${symbol}\n      is neither in inertia::detail::target_${target}"
             " nor instantiated on ${arch_type}")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "Symbols of the target objects that other code could share:${problems}")
endif()
message(STATUS "${checked} symbols of the targets ${TARGETS}: each the target's own, none defined elsewhere")
