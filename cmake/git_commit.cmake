# Writes OUT (a header defining HSA_GIT_COMMIT) from the git commit of SRC, with "+dirty" when tracked files
# differ from it. Run at every build (target hsa_commit); the file is rewritten only when the text changes,
# so only a new commit recompiles the few sources that record it. HSA_COMMIT in the environment overrides it
# (a copy of the working tree built elsewhere, e.g. on the GPU machine, whose .git is not the source's).
if(DEFINED ENV{HSA_COMMIT} AND NOT "$ENV{HSA_COMMIT}" STREQUAL "")
  set(commit "$ENV{HSA_COMMIT}")
else()
  execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(NOT commit)
  set(commit unknown)
elseif(NOT DEFINED ENV{HSA_COMMIT} OR "$ENV{HSA_COMMIT}" STREQUAL "")
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
    OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes)
    string(APPEND commit "+dirty")
  endif()
endif()
set(text "#define HSA_GIT_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
