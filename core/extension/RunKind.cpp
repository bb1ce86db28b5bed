#include "extension/RunKind.h"

namespace gw {

namespace {

bool within(const QString &key, const QString &prefix)
{
    return key == prefix || key.startsWith(prefix + QLatin1Char('.'));
}

} // namespace

bool RunKind::uses(const QString &parameterKey) const
{
    if (!parameterKey.contains(QLatin1Char('.')))
        return true; // the top level: kind, name, seed
    for (const RunParameterSection &section : ownSections())
        if (within(parameterKey, section.key))
            return true;
    for (const QString &shared : sharedKeys())
        if (within(parameterKey, shared))
            return true;
    return false;
}

} // namespace gw
