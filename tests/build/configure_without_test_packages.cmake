# The README's build on "other systems", with only the daemon's packages installed: CMake
# must configure it, the daemon and the tool among its targets and no test among them.
# GoogleTest and yaml-cpp are hidden as if not installed (CMAKE_DISABLE_FIND_PACKAGE_*:
# a find_package(... REQUIRED) of either then fails, as it does on such a machine).
# Run as: cmake -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -P this file
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(
  COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}" -G "${GENERATOR}"
          -DCMAKE_BUILD_TYPE=Release
          -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_yaml-cpp=ON
  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "configuring without the test packages failed (${status}):\n${output}")
endif()
if(NOT output MATCHES "tests not built")
  message(FATAL_ERROR "configure did not say that the tests are not built:\n${output}")
endif()
# A dry run (-n, for Ninja and make alike) of each target: it exists, nothing is compiled.
foreach(wanted grayling grayling-admin)
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}" --target ${wanted} -- -n
                  RESULT_VARIABLE status OUTPUT_VARIABLE dry ERROR_VARIABLE dry)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "no target ${wanted} without the test packages:\n${dry}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}" --target unit_tests -- -n
                RESULT_VARIABLE status OUTPUT_QUIET ERROR_QUIET)
if(status EQUAL 0)
  message(FATAL_ERROR "test targets configured although GoogleTest is missing")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
