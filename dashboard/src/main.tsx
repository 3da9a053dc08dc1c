// Entry of the dashboard bundle: the stylesheet and the app, mounted on the shell's #app.
import { render } from 'preact';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
