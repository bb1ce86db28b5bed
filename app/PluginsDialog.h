#pragma once
#include <QDialog>

class QTableWidget;

namespace gw {

class PluginManager;

/// Help → Plugins…: every plugin the manager found, with its version, state, the kinds of run it
/// adds and, for one that did not load, why. A check box per plugin switches it on or off for the
/// next start (kept in the settings, as `green-workbench plugins --disable ID` does).
class PluginsDialog : public QDialog {
    Q_OBJECT
public:
    explicit PluginsDialog(const PluginManager &manager, QWidget *parent = nullptr);
    QTableWidget *table() const { return table_; }

private:
    void saveEnabled();

    QTableWidget *table_;
};

} // namespace gw
