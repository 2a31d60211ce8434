# One ctest: a torch training loop recorded by scripts/record_trajectory.py
# (the README's two-line recipe, in its demo: a 2-layer MLP on synthetic data),
# then replayed by inertia-check, which must pass at 0 ULP (its default).
#   cmake -DPYTHON=... -DSCRIPT=.../record_trajectory.py -DCHECK=.../inertia-check -DOUTPUT=run.json
#         "-DARGS=--optimizer adamw --steps 20" -P record_and_replay.cmake
foreach(variable PYTHON SCRIPT CHECK OUTPUT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "record_and_replay.cmake: -D${variable}= is required")
  endif()
endforeach()
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
file(REMOVE "${OUTPUT}")
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" "${OUTPUT}" ${ARGS} RESULT_VARIABLE recorded)
if(NOT recorded EQUAL 0 OR NOT EXISTS "${OUTPUT}")
  message(FATAL_ERROR "record_trajectory.py ${ARGS} failed (${recorded})")
endif()
execute_process(COMMAND "${CHECK}" "${OUTPUT}" --brief RESULT_VARIABLE replayed)
if(NOT replayed EQUAL 0)
  message(FATAL_ERROR "inertia-check ${OUTPUT}: exit ${replayed}, not 0 (0 ULP): the replay differs from torch")
endif()
