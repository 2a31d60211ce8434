# cmake -DBUILD_DIR=<build tree> -DPREFIX=<dir> -P install_fresh.cmake
# Installs libinertia's components of the build (cmake --install --component:
# the library, headers and package files, not the project's tools, so a
# build of just the library and this test suffices) into an emptied prefix,
# so that a file the install rules no longer produce cannot linger there and
# hide the omission.
foreach(required BUILD_DIR PREFIX)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "install_fresh.cmake: -D${required}= is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
foreach(component inertia_runtime inertia_development)
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" --component ${component}
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} --component ${component} failed: ${status}")
  endif()
endforeach()
