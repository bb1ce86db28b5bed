#include "CommandLine.h"
#include "MainWindow.h"

#include "Error.h"
#include "config/RunConfig.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QMessageBox>
#include <QTimer>
#include <memory>

namespace {
void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("green-ai-workbench"));
    QCoreApplication::setApplicationName(QStringLiteral("green-workbench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GW_VERSION));
}
} // namespace

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 1; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    if (gw::CommandLine::wantsHeadless(arguments)) {
        QCoreApplication app(argc, argv);
        setIdentity();
        return gw::CommandLine::execute(arguments);
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/gw/icons/org.greenai.Workbench.png")));
    QApplication::setDesktopFileName(QStringLiteral("org.greenai.Workbench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(gw::CommandLine::usage());
    parser.addHelpOption();
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("The SQLite store to use."), QStringLiteral("FILE"),
                                      gw::CommandLine::defaultDatabasePath());
    const QCommandLineOption startOption(QStringLiteral("start"), QStringLiteral("Start a run of this config at once (\"default\": the embedded default)."),
                                         QStringLiteral("CONFIG"));
    parser.addOption(dbOption);
    parser.addOption(startOption);
    parser.process(app);

    gw::MainWindow window(parser.value(dbOption));
    window.show();
    if (parser.isSet(startOption)) {
        const QString value = parser.value(startOption);
        const QString path = value == QStringLiteral("default") ? gw::CommandLine::defaultConfigPath() : value;
        QTimer::singleShot(0, &window, [&window, path] {
            try {
                window.startRun(gw::RunConfig::fromFile(path));
            } catch (const gw::Error &e) {
                QMessageBox::warning(&window, QStringLiteral("Cannot start the run"), e.message());
            }
        });
    }
    return QApplication::exec();
}
