#include "WelcomePanel.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QUrl>
#include <QVBoxLayout>

namespace gw {

namespace {

/// One way to begin: a button, and below it a line on what it does (readable in a narrow column too).
QPushButton *addChoice(QVBoxLayout *layout, const QString &button, const QString &explanation)
{
    auto *b = new QPushButton(button);
    b->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Fixed);
    b->setMinimumWidth(220);
    auto *text = new QLabel(explanation);
    text->setWordWrap(true);
    text->setContentsMargins(12, 0, 0, 6);
    layout->addWidget(b);
    layout->addWidget(text);
    return b;
}

} // namespace

WelcomePanel::WelcomePanel(QWidget *parent)
    : QWidget(parent), where_(new QLabel)
{
    setObjectName(QStringLiteral("welcomePanel"));
    // Scrolls rather than clips when the window gives it little room.
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget;
    scroll->setWidget(content);
    outer->addWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(24, 16, 24, 16);
    auto *title = new QLabel(QStringLiteral("<h2>Welcome to the Green AI Workbench</h2>"
                                            "<p>Train image classifiers the green way: reuse a pretrained backbone, label little but well, "
                                            "and see what every run costs in energy and CO₂e. There are no runs in this store yet.</p>"));
    title->setWordWrap(true);
    layout->addWidget(title);
    runDefault_ = addChoice(layout, QStringLiteral("&Run the default"),
                            QStringLiteral("A linear probe of the bundled pretrained backbone on 1,000 Fashion-MNIST labels, measured "
                                           "as it goes: a few minutes on two cores, well under a watt-hour."));
    label_ = addChoice(layout, QStringLiteral("&Label with active learning…"),
                       QStringLiteral("You label the images the model is least sure of, round by round, and watch its accuracy "
                                      "grow with every label (opens the New run dialog for an active-learning run)."));
    openProject_ = addChoice(layout, QStringLiteral("&Open a project…"),
                             QStringLiteral("A folder for a store of runs and its caches, to keep one piece of work apart from another."));
    runDefault_->setObjectName(QStringLiteral("runDefaultButton"));
    label_->setObjectName(QStringLiteral("labelButton"));
    openProject_->setObjectName(QStringLiteral("openProjectButton"));
    where_->setWordWrap(true);
    where_->setOpenExternalLinks(true);
    where_->setTextInteractionFlags(Qt::TextBrowserInteraction);
    layout->addWidget(where_);
    layout->addStretch(1);
    connect(runDefault_, &QPushButton::clicked, this, &WelcomePanel::runDefaultRequested);
    connect(label_, &QPushButton::clicked, this, &WelcomePanel::labelRequested);
    connect(openProject_, &QPushButton::clicked, this, &WelcomePanel::openProjectRequested);
    setStorePath(QString());
}

QString WelcomePanel::readmePath()
{
    // Looked up once: it does not move while the program runs, and the panel asks at every refresh.
    static const QString path = [] {
        const QDir bin(QCoreApplication::applicationDirPath());
        // Installed (the .deb's share/doc), or a build tree inside the source tree.
        for (const QString &candidate : {bin.filePath(QStringLiteral("../share/doc/green-workbench/README.md")),
                                         bin.filePath(QStringLiteral("../../README.md")), bin.filePath(QStringLiteral("../README.md"))})
            if (QFileInfo(candidate).isFile())
                return QFileInfo(candidate).canonicalFilePath();
        return QString();
    }();
    return path;
}

void WelcomePanel::setStorePath(const QString &path)
{
    const QString readme = readmePath();
    where_->setText(QStringLiteral("<p>Runs are stored in <code>%1</code>; <i>Help → Where things are</i> says more. %2 "
                                   "Keyboard: Ctrl+N new run, Ctrl+K compare, Alt+1…4 the docks; <i>Help → Keyboard shortcuts</i> lists them all.</p>")
                        .arg(path.toHtmlEscaped(),
                             readme.isEmpty() ? QStringLiteral("The README of the project explains every option.")
                                              : QStringLiteral("The <a href=\"%1\">README</a> explains every option (<i>Kinds of run</i>, "
                                                               "<i>Models and fine-tuning</i>, <i>Active learning</i>, <i>Compare</i>).")
                                                    .arg(QUrl::fromLocalFile(readme).toString().toHtmlEscaped())));
}

} // namespace gw
