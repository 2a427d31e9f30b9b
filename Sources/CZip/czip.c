#include "czip.h"
