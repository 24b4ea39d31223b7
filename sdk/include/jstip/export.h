// Symbols of libjstip_sdk stay visible even when a plugin is built with
// hidden visibility, so type identity (dynamic_cast, exceptions) is shared.
#pragma once

#define JSTIP_API __attribute__((visibility("default")))
