# cmake -DHELP2MAN=<help2man> -DPROGRAM=<built executable> -DINCLUDE=<file.h2m> -DEPOCH=<seconds> -DOUTPUT=<name.1.gz> -P manpage.cmake
# Makes a program's manual page from its own --help and --version (help2man), with the sections
# help cannot say (name, more description, files, environment, see also) from INCLUDE, dated by the newest
# release (SOURCE_DATE_EPOCH) so the page is the same on every build. Gzipped -9n, as Debian
# installs manual pages.
cmake_minimum_required(VERSION 3.22)
get_filename_component(dir "${PROGRAM}" DIRECTORY)
get_filename_component(program "${PROGRAM}" NAME)
string(REGEX REPLACE "\\.gz$" "" plain "${OUTPUT}")
# Run by name from PATH, so the usage line says "modelfloat", not the build folder.
execute_process(
    COMMAND ${CMAKE_COMMAND} -E env "PATH=${dir}:$ENV{PATH}" SOURCE_DATE_EPOCH=${EPOCH}
            LC_ALL=C.UTF-8 -- "${HELP2MAN}" --no-info --section=1 "--include=${INCLUDE}"
            "--output=${plain}" "${program}"
    RESULT_VARIABLE failed ERROR_VARIABLE errors)
if(failed)
    message(FATAL_ERROR "help2man ${program} failed: ${errors}")
endif()
execute_process(COMMAND gzip -9nc "${plain}" OUTPUT_FILE "${OUTPUT}" RESULT_VARIABLE failed)
if(failed)
    message(FATAL_ERROR "gzip failed on ${plain}")
endif()
