#pragma once
#include <QStringList>

namespace gw {

/// The query strategies by name, in a torch-free header for configs, forms and the command line.
struct QueryStrategyNames {
    static QStringList all()
    {
        return {QStringLiteral("random"),   QStringLiteral("least-confidence"), QStringLiteral("margin"), QStringLiteral("entropy"),
                QStringLiteral("bald"),     QStringLiteral("core-set"),         QStringLiteral("badge"),  QStringLiteral("cold-start")};
    }
};

} // namespace gw
