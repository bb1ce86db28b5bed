#pragma once
#include <QWidget>

class QLabel;
class QPushButton;

namespace gw {

/// What a store with no runs shows in place of the empty runs table: what the workbench is for, the
/// three ways to begin (the embedded default run, a project folder, a labeling session) and where
/// the store and the README are.
class WelcomePanel : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget *parent = nullptr);

    /// The store the next run goes into, and the README when one is installed or beside the program.
    void setStorePath(const QString &path);
    QPushButton *runDefaultButton() const { return runDefault_; }
    QPushButton *openProjectButton() const { return openProject_; }
    QPushButton *labelButton() const { return label_; }
    /// The README this build can point to (the installed copy, or the source tree's), or empty.
    static QString readmePath();

Q_SIGNALS:
    void runDefaultRequested();
    void openProjectRequested();
    void labelRequested();

private:
    QPushButton *runDefault_;
    QPushButton *openProject_;
    QPushButton *label_;
    QLabel *where_;
};

} // namespace gw
