/* tconv — the core operators, one include. */
#pragma once

#include "activation.h"
#include "conv-transpose2d.h"
#include "conv2d.h"
#include "graph-ops.h"
#include "imresize.h"
#include "resize.h"
#include "tconv-error.h"
#include "tensor.h"
