#pragma once
// qcustomplot.h uses Qt's keyword macros (signals, slots, emit, foreach), which the house turns off
// with QT_NO_KEYWORDS because LibTorch uses `slots` as an identifier. Map them for this one header.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
