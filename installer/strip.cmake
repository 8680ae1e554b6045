# A CPack pre-build script: strips the staged programs the way Debian's dh_strip does (debug
# symbols, and the .comment and .note sections that only name the compiler), so the package
# carries no build leftovers. CPACK_MF_STRIP is the toolchain's strip (installer/CMakeLists.txt).
file(GLOB programs "${CPACK_TEMPORARY_DIRECTORY}/usr/bin/*")
foreach(program IN LISTS programs)
    execute_process(COMMAND "${CPACK_MF_STRIP}" --remove-section=.comment --remove-section=.note
                            "${program}" RESULT_VARIABLE failed)
    if(failed)
        message(FATAL_ERROR "strip failed on ${program}")
    endif()
endforeach()
