find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  # PCH-friendly sloppiness so precompiled headers still hit the cache.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}
      ${CCACHE_PROGRAM})
endif()
