#include "Appearance.h"
#include "CommandLine.h"
#include "MainWindow.h"
#include "RunPage.h"
#include "CompareView.h"
#include "RunsTableModel.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "util/Files.h"

#include <QApplication>
#include <QBuffer>
#include <QCommandLineParser>
#include <QIcon>
#include <QMessageBox>
#include <QTimer>
#include <cstdio>
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
        gw::CommandLine::loadPlugins();
        return gw::CommandLine::execute(arguments);
    }

    QApplication app(argc, argv);
    setIdentity();
    gw::CommandLine::loadPlugins();
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/gw/icons/org.greenai.Workbench.png")));
    QApplication::setDesktopFileName(QStringLiteral("org.greenai.Workbench"));

    QCommandLineParser parser;
    parser.setApplicationDescription(gw::CommandLine::usage());
    parser.addHelpOption();
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("The SQLite store to use."), QStringLiteral("FILE"),
                                      gw::CommandLine::defaultDatabasePath());
    const QCommandLineOption startOption(QStringLiteral("start"), QStringLiteral("Start a run of this config at once (\"default\": the embedded default)."),
                                         QStringLiteral("CONFIG"));
    const QCommandLineOption compareOption(QStringLiteral("compare"), QStringLiteral("Open the Compare dock with every stored run."));
    const QCommandLineOption appearanceOption(QStringLiteral("appearance"), QStringLiteral("light, dark or system for this session (Settings keeps the lasting choice)."),
                                              QStringLiteral("APPEARANCE"));
    const QCommandLineOption newRunOption(QStringLiteral("new-run"), QStringLiteral("Open the New run dialog."));
    const QCommandLineOption openRunOption(QStringLiteral("open-run"), QStringLiteral("Open the page of stored run ID."), QStringLiteral("ID"));
    const QCommandLineOption reportOption(QStringLiteral("report"),
                                          QStringLiteral("With --compare: write the comparison report (FILE.html or FILE.pdf) once the dock is drawn."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Save the window as FILE (PNG) after --screenshot-after seconds, then quit (cancelling any run)."),
                                              QStringLiteral("FILE"));
    const QCommandLineOption screenshotAfterOption(QStringLiteral("screenshot-after"), QStringLiteral("Seconds before --screenshot (default 3)."),
                                                   QStringLiteral("SECONDS"), QStringLiteral("3"));
    parser.addOption(dbOption);
    parser.addOption(startOption);
    parser.addOption(compareOption);
    parser.addOption(newRunOption);
    parser.addOption(openRunOption);
    parser.addOption(reportOption);
    parser.addOption(appearanceOption);
    parser.addOption(screenshotOption);
    const QCommandLineOption runTabOption(QStringLiteral("run-tab"),
                                          QStringLiteral("With --screenshot: the tab of the run's page to show (Summary, Curves, Clients, ...)."),
                                          QStringLiteral("TITLE"));
    parser.addOption(screenshotAfterOption);
    parser.addOption(runTabOption);
    parser.process(app);

    gw::MainWindow window(parser.value(dbOption));
    if (parser.isSet(appearanceOption))
        gw::Appearance::apply(parser.value(appearanceOption));
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
    if (parser.isSet(compareOption))
        QTimer::singleShot(0, &window, &gw::MainWindow::compareSelectedRuns);
    if (parser.isSet(newRunOption))
        QTimer::singleShot(0, &window, &gw::MainWindow::showNewRunDialog);
    if (parser.isSet(openRunOption)) {
        const qint64 id = parser.value(openRunOption).toLongLong();
        QTimer::singleShot(0, &window, [&window, id] {
            for (int row = 0; row < window.runsModel()->rowCount(); ++row)
                if (window.runsModel()->runAt(row).id == id && window.showRunPage(row))
                    return;
            std::fprintf(stderr, "green-workbench: --open-run: no run %lld in the store\n", static_cast<long long>(id));
        });
    }
    if (parser.isSet(reportOption)) {
        const QString file = parser.value(reportOption);
        QTimer::singleShot(1000, &window, [&window, file] {
            QString error;
            if (!window.compareView()->exportReport(file, &error))
                std::fprintf(stderr, "green-workbench: --report: %s\n", qPrintable(error));
        });
    }
    if (parser.isSet(screenshotOption)) {
        // For documentation and the screenshot script: what a person would see at that moment.
        const QString file = parser.value(screenshotOption);
        const int afterMs = int(parser.value(screenshotAfterOption).toDouble() * 1000);
        const QString tab = parser.value(runTabOption);
        QTimer::singleShot(afterMs, &window, [&window, file, tab] {
            bool tabShown = false;
            for (gw::RunPage *page : {window.livePage(), window.runPage()}) // both: whichever the person looks at
                tabShown = (!tab.isEmpty() && page->showTab(tab)) || tabShown;
            if (!tab.isEmpty() && !tabShown)
                std::fprintf(stderr, "green-workbench: --run-tab: no tab '%s' on the run's page\n", qPrintable(tab));
            // A dialog in front (--new-run) is what the person looks at.
            QWidget *shown = QApplication::activeModalWidget() ? QApplication::activeModalWidget() : &window;
            QByteArray png;
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            try {
                if (!shown->grab().save(&buffer, "PNG"))
                    throw gw::Error::in(file, QStringLiteral("the screenshot could not be drawn"));
                gw::AtomicFile::writeWhole(file, png, QStringLiteral("the screenshot"));
            } catch (const gw::Error &e) {
                std::fprintf(stderr, "green-workbench: %s\n", qPrintable(e.message()));
            }
            window.cancelRun();
            QTimer::singleShot(1500, qApp, &QCoreApplication::quit);
        });
    }
    return QApplication::exec();
}
