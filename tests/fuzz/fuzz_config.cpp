// The run config as `green-workbench run CONFIG --KEY=VALUE ...` reads it (CommandLine::run): the JSON
// text, then each command-line override in order, then the checks of RunConfig::fromJson.
//
// Input layout, so plain JSON configs are seeds as they are: the lines before the first line that
// starts with "--" are the config file; that line and every later one are the command-line
// arguments, one per line. Arguments are sorted the way CommandLine's parseOptions sorts them:
// "--set KEY=VALUE", "--KEY=VALUE" or "--KEY VALUE" for a run parameter or an optional section; any
// other argument is left out (the command line refuses it before a config is read).
//
// A config that loads must survive the round trips the house promises (RunParameters.h): written as
// JSON and read back, and written as --KEY=VALUE options over the defaults and read back, it must be
// the same config.
#include "FuzzSupport.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"

#include <QList>
#include <QPair>
#include <QStringList>
#include <cstdlib>
#include <cstdint>
#include <string>

using nlohmann::json;

namespace {

bool isRunParameter(const QString &key)
{
    const gw::RunParameterSection *section = gw::RunParameters::findSection(key);
    return gw::RunParameters::find(key) || (section && section->optional);
}

// The override part of CommandLine's parseOptions (app/CommandLine.cpp), without its other options.
QList<QPair<QString, QString>> overridesOf(const QStringList &arguments)
{
    QList<QPair<QString, QString>> overrides;
    for (int i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments[i];
        if (arg == QStringLiteral("--set") || (arg.startsWith(QStringLiteral("--")) && isRunParameter(arg.mid(2).section(QLatin1Char('='), 0, 0)))) {
            QString assignment = arg == QStringLiteral("--set") ? arguments.value(++i) : arg.mid(2);
            if (!assignment.contains(QLatin1Char('='))) {
                if (arg == QStringLiteral("--set") || i + 1 >= arguments.size())
                    throw gw::Error(QStringLiteral("%1 needs a value (KEY=VALUE)").arg(arg));
                assignment += QLatin1Char('=') + arguments[++i];
            }
            overrides << qMakePair(assignment.section(QLatin1Char('='), 0, 0), assignment.section(QLatin1Char('='), 1));
        }
    }
    return overrides;
}

void checkRoundTrips(const gw::RunConfig &config)
{
    const std::string text = config.toJsonText();
    try {
        const gw::RunConfig again = gw::RunConfig::fromJsonText(text, QStringLiteral("saved config"));
        if (again.toJsonText() != text)
            gwfuzz::violated(QStringLiteral("a saved config reads back different:\n%1\n%2")
                                 .arg(QString::fromStdString(text), QString::fromStdString(again.toJsonText())));
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("a saved config does not load: %1\n%2").arg(e.message(), QString::fromStdString(text)));
    }

    const QStringList options = gw::RunParameters::commandLineOptions(config, gw::RunConfig());
    try {
        json root = json::object();
        for (const auto &[key, value] : overridesOf(options))
            gw::RunParameters::overrideInJson(root, key, value, QStringLiteral("--%1").arg(key));
        const gw::RunConfig again = gw::RunConfig::fromJson(root, QStringLiteral("command-line options"));
        if (again.toJsonText() != text)
            gwfuzz::violated(QStringLiteral("a config rerun from its command-line options differs:\n%1\n%2\n%3")
                                 .arg(options.join(QLatin1Char(' ')), QString::fromStdString(text), QString::fromStdString(again.toJsonText())));
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("a config's command-line options do not load: %1\n%2").arg(e.message(), options.join(QLatin1Char(' '))));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    // The config file is the bytes before the first line that starts with "--".
    qsizetype split = input.startsWith("--") ? 0 : input.indexOf("\n--");
    if (split < 0)
        split = input.size();
    else if (split > 0)
        ++split; // keep the line end with the JSON
    const std::string jsonText(input.constData(), std::size_t(split));
    QStringList arguments;
    for (const QByteArray &line : input.mid(split).split('\n'))
        if (!line.isEmpty())
            arguments << QString::fromUtf8(line); // argv: the locale's encoding, UTF-8 here

    gw::RunConfig config;
    try {
        const QString file = QStringLiteral("fuzz.json");
        const QList<QPair<QString, QString>> overrides = overridesOf(arguments);
        json root = gw::RunConfig::parseJson(jsonText, file);
        for (const auto &[key, value] : overrides)
            gw::RunParameters::overrideInJson(root, key, value, QStringLiteral("--%1").arg(key));
        config = gw::RunConfig::fromJson(root, overrides.isEmpty() ? file : QStringLiteral("%1 with its command-line options").arg(file));
    } catch (const gw::Error &) {
        return 0; // refused with a message: what bad input should get
    }
    if (gwfuzz::checkInvariants())
        checkRoundTrips(config);
    return 0;
}
