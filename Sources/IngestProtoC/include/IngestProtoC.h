// Umbrella header for the protobuf-c code generated from proto/ by `make proto` (never edited by hand).
#ifndef INGEST_PROTO_C_H
#define INGEST_PROTO_C_H
#include "clickbank/ingest/v1/ingest.pb-c.h"
#include "clickbank/rpc/v1/rpc.pb-c.h"
#endif
