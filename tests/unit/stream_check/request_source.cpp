// The unit_tests target links switchboard_core only; tools/ sources are compiled into it here, one per file.
#include "../../../tools/stream-check/request.cpp"
